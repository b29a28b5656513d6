using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Records every call as one <see cref="TrafficLogEntry"/> line (see <see cref="TrafficLog"/>), for <c>tokengov replay</c>:
/// put it outermost, so it records what the application asked for and what the governed stack below it did (the usage the
/// provider reported, cache hits, refusals). Streaming and non-streaming calls are recorded alike; lines are written under a
/// lock, one per call, and the writer is not flushed or disposed here.
/// </summary>
public sealed class TrafficRecordingChatClient : DelegatingChatClient
{
    private readonly TextWriter _writer;
    private readonly TimeProvider _time;
    private readonly bool _recordMessages;
    private readonly ITokenEstimator? _tokens;
    private readonly bool _ownsWriter;

    /// <summary>Initializes a new recorder.</summary>
    /// <param name="innerClient">The client below (usually the whole governed stack).</param>
    /// <param name="writer">Where lines go (a file, for example).</param>
    /// <param name="recordMessages"><see langword="true"/> to record message text; <see langword="false"/> records only the
    /// prompt's token count (counted with <paramref name="tokens"/>), for logs that must not hold user content.</param>
    /// <param name="tokens">Counts prompts when messages are not recorded; defaults to the tiktoken estimator.</param>
    /// <param name="timeProvider">The clock for each line's time.</param>
    public TrafficRecordingChatClient(IChatClient innerClient, TextWriter writer, bool recordMessages = true, ITokenEstimator? tokens = null, TimeProvider? timeProvider = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _recordMessages = recordMessages;
        _tokens = recordMessages ? tokens : tokens ?? new TiktokenTokenEstimator();
        _time = timeProvider ?? TimeProvider.System;
    }

    // A recorder that owns its writer (UseTrafficRecording(path)): it flushes each line and disposes the writer with itself.
    internal TrafficRecordingChatClient(IChatClient innerClient, TextWriter writer, bool recordMessages, ITokenEstimator? tokens, TimeProvider? timeProvider, bool ownsWriter)
        : this(innerClient, writer, recordMessages, tokens, timeProvider)
    {
        _ownsWriter = ownsWriter;
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsWriter)
        {
            lock (_writer)
            {
                _writer.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var entry = Begin(list, options);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(list, options, cancellationToken).ConfigureAwait(false);
        }
        catch (BudgetExceededException ex)
        {
            Write(entry with { Refusal = ex.Reason });
            throw;
        }

        Write(Complete(entry, response, response.GetGovernance()));
        return response;
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages as IList<ChatMessage> ?? [.. messages];
        var entry = Begin(list, options);
        var updates = new List<ChatResponseUpdate>();
        GovernanceRecord? record = null;
        var e = base.GetStreamingResponseAsync(list, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        await using var disposeEnumerator = e.ConfigureAwait(false);
        while (true)
        {
            try
            {
                if (!await e.MoveNextAsync().ConfigureAwait(false))
                {
                    break;
                }
            }
            catch (BudgetExceededException ex)
            {
                Write(entry with { Refusal = ex.Reason });
                throw;
            }

            record ??= e.Current.GetGovernance();
            updates.Add(e.Current);
            yield return e.Current;
        }

        Write(Complete(entry, updates.ToChatResponse(), record));
    }

    private TrafficLogEntry Begin(IList<ChatMessage> messages, ChatOptions? options) => new()
    {
        Time = _time.GetUtcNow(),
        Scope = GovernanceScope.Resolve(options),
        ModelId = options?.ModelId,
        Messages = _recordMessages ? [.. messages.Select(m => new ChatMessage(m.Role, m.Text))] : null,
        InputTokens = _recordMessages ? null : _tokens!.CountPromptTokens(messages, options, options?.ModelId ?? "gpt-4o"),
        MaxOutputTokens = options?.MaxOutputTokens,
    };

    private TrafficLogEntry Complete(TrafficLogEntry entry, ChatResponse response, GovernanceRecord? record)
    {
        TokenUsage? usage = record is not null
            ? record.ProviderCalls > 0 ? record.Usage : null
            : response.Usage is { } reported ? UsageConvention.OpenAI.Normalize(reported) : null;
        return entry with
        {
            AnsweredModelId = record?.ModelId ?? response.ModelId,
            Usage = usage,
            ResponseText = _recordMessages ? response.Text : null,
            Cache = record?.Cache ?? CacheStatus.None,
            Refusal = record?.Refusal,
        };
    }

    private void Write(TrafficLogEntry entry)
    {
        var line = TrafficLog.Serialize(entry);
        lock (_writer)
        {
            _writer.WriteLine(line);
            if (_ownsWriter)
            {
                _writer.Flush(); // a line is on disk when its call returns: a crash loses at most the line being written
            }
        }
    }
}
