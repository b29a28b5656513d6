using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TokenGovernor.Cli;

/// <summary>
/// The replay's provider: answers the current log line with the usage the recording reported (priced at whichever model the
/// configuration sent it to). A line the recording never sent to a provider (a cache hit or a refusal) is given its counted
/// prompt and the recording's average output for the model.
/// </summary>
internal sealed class ReplayChatClient(ITokenEstimator tokens, IReadOnlyDictionary<string, long> averageOutput, long overallAverageOutput) : IChatClient
{
    public TrafficLogEntry? Current { get; set; }

    public int Index { get; set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.FromResult(Answer(messages, options));

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in Answer(messages, options).ToChatResponseUpdates())
        {
            await Task.Yield();
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private ChatResponse Answer(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var entry = Current ?? throw new InvalidOperationException("The replay provider was called outside a replayed line.");
        var model = options?.ModelId ?? entry.AnsweredModelId ?? entry.ModelId ?? "gpt-4o-mini";
        var usage = entry.Usage ?? Estimate(entry, messages, options, model);
        if (options?.MaxOutputTokens is { } cap && usage.TotalOutputTokens > cap)
        {
            // The configuration capped the output below what was recorded: the provider would have stopped at the cap.
            var reasoning = Math.Min(usage.ReasoningTokens, cap);
            usage = usage with { ReasoningTokens = reasoning, OutputTokens = cap - reasoning };
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, entry.ResponseText ?? "Replayed answer " + Index.ToString(CultureInfo.InvariantCulture)))
        {
            ModelId = model,
            Usage = UsageConvention.ToUsageDetails(usage),
            FinishReason = ChatFinishReason.Stop,
            ResponseId = "replay-" + Index.ToString(CultureInfo.InvariantCulture),
        };
    }

    private TokenUsage Estimate(TrafficLogEntry entry, IEnumerable<ChatMessage> messages, ChatOptions? options, string model)
    {
        long input = entry.InputTokens ?? tokens.CountPromptTokens(messages, options, model);
        var output = averageOutput.TryGetValue(entry.AnsweredModelId ?? entry.ModelId ?? string.Empty, out var avg) ? avg : overallAverageOutput;
        return new TokenUsage(input, 0, 0, output, 0);
    }
}
