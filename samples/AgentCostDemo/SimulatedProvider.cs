using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using TokenGovernor;

namespace AgentCostDemo;

/// <summary>
/// A deterministic stand-in for a hosted model API. It bills like OpenAI: prompt tokens counted with the model's tokenizer,
/// prompt-cache reads for a repeated prefix of 1,024+ tokens (in 128-token steps), reasoning tokens for reasoning models,
/// and tool calls while a task still needs tools. Latency is simulated (time to first token plus tokens / throughput) and
/// slept at 1/200 scale so the demo stays quick.
/// </summary>
internal sealed class SimulatedProvider : IChatClient
{
    private static readonly string[] s_words =
        ("the service call returns an order status with tracking details so the customer sees when the parcel ships and " +
         "the refund window applies within thirty days of delivery while the build fails because a nullable warning is an error " +
         "so the fix adds a guard clause and updates the test that covers the parser").Split(' ');

    private readonly Random _random;
    private readonly Dictionary<string, int> _promptCache = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    public SimulatedProvider(int seed)
    {
        _random = new Random(seed);
    }

    public TimeSpan SimulatedLatency { get; private set; }

    public int Calls { get; private set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (message, usage, latency) = Answer(messages.ToList(), options);
        await Task.Delay(latency / 200, cancellationToken);
        return new ChatResponse(message)
        {
            ModelId = options?.ModelId,
            Usage = usage,
            FinishReason = message.Contents.OfType<FunctionCallContent>().Any() ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("simulated", defaultModelId: "gpt-4o-mini") :
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private (ChatMessage Message, UsageDetails Usage, TimeSpan Latency) Answer(List<ChatMessage> messages, ChatOptions? options)
    {
        lock (_gate)
        {
            Calls++;
            var model = options?.ModelId ?? "gpt-4o-mini";
            var promptTokens = TiktokenTokenEstimator.Default.CountPromptTokens(messages, options, model);

            // Prompt caching: the part of this conversation's prompt that an earlier call already sent.
            var conversationKey = model + "|" + string.Concat(messages.Take(2).Select(m => m.Text));
            var cached = 0;
            if (_promptCache.TryGetValue(conversationKey, out var previous) && promptTokens >= 1024)
            {
                cached = Math.Min(previous, promptTokens) / 128 * 128;
            }

            _promptCache[conversationKey] = promptTokens;

            ChatMessage reply;
            int outputTokens;
            var toolCall = NextToolCall(messages, options);
            if (toolCall is not null)
            {
                reply = new ChatMessage(ChatRole.Assistant, [toolCall]);
                outputTokens = 18 + _random.Next(0, 30);
            }
            else
            {
                outputTokens = options?.MaxOutputTokens is { } cap ? Math.Min(cap, 60 + _random.Next(0, 340)) : 60 + _random.Next(0, 340);
                reply = new ChatMessage(ChatRole.Assistant, Words(outputTokens));
            }

            var reasoning = IsReasoningModel(model) && options?.Reasoning?.Effort != ReasoningEffort.None ? 150 + _random.Next(0, 1400) : 0;
            var usage = new UsageDetails
            {
                InputTokenCount = promptTokens,
                CachedInputTokenCount = cached == 0 ? null : cached,
                OutputTokenCount = outputTokens + reasoning,
                ReasoningTokenCount = reasoning == 0 ? null : reasoning,
                TotalTokenCount = promptTokens + outputTokens + reasoning,
            };

            var latency = TimeSpan.FromMilliseconds(250 + promptTokens / 20.0 + (outputTokens + reasoning) * 1000.0 / 90);
            SimulatedLatency += latency;
            return (reply, usage, latency);
        }
    }

    private FunctionCallContent? NextToolCall(List<ChatMessage> messages, ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools)
        {
            return null;
        }

        // A task wants as many tool results since its last user turn as the user turn asks for ("[tools:N]").
        var lastUser = messages.FindLastIndex(m => m.Role == ChatRole.User);
        var wanted = 1;
        var marker = messages[lastUser].Text.IndexOf("[tools:", StringComparison.Ordinal);
        if (marker >= 0)
        {
            wanted = messages[lastUser].Text[marker + 7] - '0';
        }

        var results = messages.Skip(lastUser + 1).Count(m => m.Role == ChatRole.Tool);
        if (results >= wanted)
        {
            return null;
        }

        var tool = tools[results % tools.Count];
        var callId = $"call_{Calls:D4}";
        return new FunctionCallContent(callId, tool.Name, new Dictionary<string, object?> { ["query"] = $"item-{_random.Next(100, 999)}" });
    }

    private string Words(int tokens)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < tokens; i++)
        {
            sb.Append(s_words[_random.Next(s_words.Length)]).Append(' ');
        }

        return sb.ToString().TrimEnd();
    }

    private static bool IsReasoningModel(string model) =>
        model.StartsWith("o1", StringComparison.Ordinal) || model.StartsWith("o3", StringComparison.Ordinal) ||
        model.StartsWith("o4", StringComparison.Ordinal) || model.StartsWith("gpt-5", StringComparison.Ordinal);
}
