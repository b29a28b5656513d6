using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace TokenGovernor.Benchmarks;

/// <summary>Classifying a ~1,000-token prompt, and the per-call overhead of routing. Baseline: one case-insensitive search over the
/// same text (the least any text rule must do).</summary>
[MemoryDiagnoser]
public class ComplexityClassifierBenchmarks
{
    private readonly RuleBasedComplexityClassifier _classifier = new();
    private List<ChatMessage> _prompt = null!;
    private string _text = null!;
    private IChatClient _bare = null!;
    private IChatClient _routed = null!;
    private readonly ChatOptions _options = new();

    [GlobalSetup]
    public void Setup()
    {
        _prompt = Conversations.Prompt(1_000);
        _text = _prompt[^1].Text;
        Console.WriteLine($"// prompt: {TiktokenTokenEstimator.Default.CountTokens(_text, "gpt-4o")} tokens");
        var inner = new CompletedChatClient(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = "gpt-4.1" });
        _bare = new PassThroughChatClient(inner);
        _routed = new ModelRoutingChatClient(inner, new RoutingOptions().UseOpenAITiers());
    }

    [Benchmark(Baseline = true)]
    public bool SearchPromptOnce() => _text.Contains("step by step", StringComparison.OrdinalIgnoreCase);

    [Benchmark]
    public double Classify1kTokenPrompt() => _classifier.Classify(_prompt, null, 4).Score;

    [Benchmark]
    public Task<ChatResponse> BareDelegatingClient() => _bare.GetResponseAsync(_prompt, _options);

    [Benchmark]
    public Task<ChatResponse> RoutedCall() => _routed.GetResponseAsync(_prompt, _options);
}
