using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Governance;

/// <summary>Shared parts of the cross-layer tests: a provider that bills what it is sent, foreign decorators to put between layers.</summary>
internal static class PipelineHarness
{
    public const int OutputTokens = 40;

    /// <summary>A provider that answers with the model it was sent and bills the prompt as counted plus <see cref="OutputTokens"/>.</summary>
    public static TestChatClient Provider(List<string?>? sent = null, string? defaultModel = null) => new()
    {
        Metadata = new ChatClientMetadata("fake", defaultModelId: defaultModel),
        GetResponseAsyncCallback = (messages, options, _) =>
        {
            Record(sent, options);
            return Task.FromResult(Answer(messages, options, defaultModel));
        },
        GetStreamingResponseAsyncCallback = (messages, options, ct) =>
        {
            Record(sent, options);
            return Stream(Answer(messages, options, defaultModel), ct);
        },
    };

    public static ChatResponse Answer(IEnumerable<ChatMessage> messages, ChatOptions? options, string? defaultModel = null)
    {
        var model = options?.ModelId ?? defaultModel ?? "gpt-4o";
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "The answer is forty-two."))
        {
            ModelId = model,
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails
            {
                InputTokenCount = TiktokenTokenEstimator.Default.CountPromptTokens(messages, options, model),
                OutputTokenCount = OutputTokens,
            },
        };
    }

    public static async IAsyncEnumerable<ChatResponseUpdate> Stream(ChatResponse response, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var word in response.Text.Split(' '))
        {
            ct.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, word + " ") { ModelId = response.ModelId, ResponseId = "r1" };
        }

        yield return new ChatResponseUpdate { Contents = [new UsageContent(response.Usage!)], ModelId = response.ModelId, ResponseId = "r1", FinishReason = ChatFinishReason.Stop };
    }

    private static void Record(List<string?>? sent, ChatOptions? options)
    {
        if (sent is not null)
        {
            lock (sent)
            {
                sent.Add(options?.ModelId);
            }
        }
    }

    /// <summary>Calls <paramref name="client"/> streaming or not, and returns every governance record the caller saw, plus the response.</summary>
    public static async Task<(List<GovernanceRecord> Records, ChatResponse Response)> CallAsync(IChatClient client, bool streaming, string prompt = "What is the answer?", ChatOptions? options = null)
    {
        var records = new List<GovernanceRecord>();
        if (!streaming)
        {
            var response = await client.GetResponseAsync(prompt, options);
            if (response.GetGovernance() is { } record)
            {
                records.Add(record);
            }

            return (records, response);
        }

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync(prompt, options))
        {
            updates.Add(update);
            if (update.GetGovernance() is { } record)
            {
                records.Add(record);
            }
        }

        return (records, updates.ToChatResponse());
    }

    /// <summary>A user's decorator written as async iterators: it calls the inner client lazily, on the first MoveNextAsync.</summary>
    public static ChatClientBuilder UseUserIterator(this ChatClientBuilder builder) => builder.Use(inner => new UserIteratorChatClient(inner));

    /// <summary>M.E.AI's logging decorator with a logger that is enabled (without one, UseLogging adds nothing).</summary>
    public static ChatClientBuilder UseEnabledLogging(this ChatClientBuilder builder) => builder.UseLogging(s_loggerFactory);

    private static readonly ILoggerFactory s_loggerFactory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(new DiscardingLoggerProvider()));

    /// <summary>Listens to M.E.AI's activity source so <c>UseOpenTelemetry()</c> really starts spans.</summary>
    public static ActivityListener ListenToActivities()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private sealed class UserIteratorChatClient(IChatClient inner) : DelegatingChatClient(inner)
    {
        public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return await base.GetResponseAsync(messages, options, cancellationToken);
        }

        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
            {
                await Task.Yield();
                yield return update;
            }
        }
    }

    private sealed class DiscardingLoggerProvider : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Discarding();

        public void Dispose()
        {
        }

        private sealed class Discarding : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) => formatter(state, exception);
        }
    }
}
