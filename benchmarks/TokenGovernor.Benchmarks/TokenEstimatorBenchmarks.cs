using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// Counting an agent conversation before each call. Cold = every message tokenized (memoization off); after one new
/// message = the 50 earlier messages are served from the per-message memo and only the new one is tokenized.
/// </summary>
[MemoryDiagnoser]
public class TokenEstimatorBenchmarks
{
    private List<ChatMessage> _conversation = null!;
    private TiktokenTokenEstimator _cold = null!;
    private TiktokenTokenEstimator _warm = null!;
    private CostEstimator _costEstimator = null!;
    private List<ChatMessage> _prompt2k = null!;
    private ChatOptions _options = null!;
    private int _turn;

    [GlobalSetup]
    public void Setup()
    {
        _conversation = Conversations.Create(50);
        _cold = new TiktokenTokenEstimator(new TokenEstimatorOptions { MessageCacheCapacity = 0 });
        _warm = new TiktokenTokenEstimator();
        _warm.CountPromptTokens(_conversation, null, "gpt-4o");
        _prompt2k = Conversations.Prompt(2_000);
        _options = new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 1_000 };
        _costEstimator = new CostEstimator(PriceCatalog.BuiltIn, _warm);
        _costEstimator.Estimate(_prompt2k, _options);
    }

    [Benchmark(Baseline = true)]
    public int CountConversationCold() => _cold.CountPromptTokens(_conversation, null, "gpt-4o");

    [Benchmark]
    public int CountConversationAfterOneNewMessage()
    {
        // A new, never-seen message each time, as in an agent loop; the 50 earlier ones were counted before.
        _conversation.Add(new ChatMessage(ChatRole.User, $"Step {++_turn}: the test still fails with CS8604 after the guard; what else should change?"));
        var tokens = _warm.CountPromptTokens(_conversation, null, "gpt-4o");
        _conversation.RemoveAt(_conversation.Count - 1);
        return tokens;
    }

    [Benchmark]
    public decimal EstimateAndPrice2kPromptWarm() => _costEstimator.Estimate(_prompt2k, _options).MaxCost;
}
