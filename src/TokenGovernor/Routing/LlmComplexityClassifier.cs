using System.Collections.Concurrent;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Asks a cheap model which tier a request needs, and memoizes the answer by the request's text (bounded). When the model's answer
/// names no tier, or the call fails, the <see cref="RuleBasedComplexityClassifier"/> decides.
/// </summary>
/// <remarks>Build the client with <c>UseCostMetering()</c> so classification calls are metered. Thread-safe.</remarks>
public sealed class LlmComplexityClassifier : IAsyncComplexityClassifier
{
    private readonly IChatClient _client;
    private readonly string? _modelId;
    private readonly int _capacity;
    private readonly ConcurrentDictionary<UInt128, ComplexityAssessment> _memo = new();
    private readonly IComplexityClassifier _fallback = new RuleBasedComplexityClassifier();

    /// <summary>Initializes a new classifier.</summary>
    /// <param name="client">The cheap model's client.</param>
    /// <param name="modelId">The model to ask, or <see langword="null"/> for the client's default.</param>
    /// <param name="memoCapacity">How many answers are memoized.</param>
    public LlmComplexityClassifier(IChatClient client, string? modelId = null, int memoCapacity = 10_000)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(memoCapacity);
        _client = client;
        _modelId = modelId;
        _capacity = memoCapacity;
    }

    /// <summary>Gets how many times the model was asked.</summary>
    public int ModelCalls => Volatile.Read(ref _modelCalls);

    private int _modelCalls;

    /// <inheritdoc />
    public async ValueTask<ComplexityAssessment> ClassifyAsync(IList<ChatMessage> messages, ChatOptions? options, IReadOnlyList<string> tierNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(tierNames);
        var text = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var key = XxHash128.HashToUInt128(MemoryMarshal.AsBytes((string.Join("|", tierNames) + "\u0001" + text).AsSpan()));
        if (_memo.TryGetValue(key, out var cached))
        {
            return cached;
        }

        ComplexityAssessment assessment;
        try
        {
            Interlocked.Increment(ref _modelCalls);
            var prompt = new List<ChatMessage>
            {
                new(ChatRole.System,
                    $"You route requests to the cheapest capable model tier. Tiers, cheapest first: {string.Join(", ", tierNames)}. " +
                    "Answer with the tier name only."),
                new(ChatRole.User, text.Length > 4_000 ? text[..4_000] : text),
            };
            var response = await _client.GetResponseAsync(prompt, new ChatOptions { ModelId = _modelId, MaxOutputTokens = 8, Temperature = 0 }, cancellationToken).ConfigureAwait(false);
            var answer = response.Text.Trim();
            var index = -1;
            for (var i = tierNames.Count - 1; i >= 0 && index < 0; i--)
            {
                index = answer.Contains(tierNames[i], StringComparison.OrdinalIgnoreCase) ? i : -1;
            }

            assessment = index < 0
                ? Fallback(messages, options, tierNames.Count, "llm-unparsed")
                : new ComplexityAssessment(tierNames.Count == 1 ? 0 : (double)index / (tierNames.Count - 1), index,
                    tierNames[index].Contains("reason", StringComparison.OrdinalIgnoreCase), ["llm:" + tierNames[index]]);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Fallback(messages, options, tierNames.Count, "llm-failed");
        }

        if (_memo.Count < _capacity)
        {
            _memo[key] = assessment;
        }

        return assessment;
    }

    private ComplexityAssessment Fallback(IList<ChatMessage> messages, ChatOptions? options, int tiers, string why)
    {
        var rules = _fallback.Classify(messages, options, tiers);
        return rules with { Signals = [why, .. rules.Signals] };
    }
}
