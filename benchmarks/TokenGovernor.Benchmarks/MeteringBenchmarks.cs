using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace TokenGovernor.Benchmarks;

/// <summary>The overhead cost metering adds to a call, against a bare delegating client over the same fake provider.</summary>
[MemoryDiagnoser]
public class MeteringBenchmarks
{
    private static readonly List<ChatMessage> s_messages = [new(ChatRole.User, "What is the capital of France?")];
    private readonly ChatOptions _options = new() { ModelId = "gpt-4o" };
    private IChatClient _bare = null!;
    private IChatClient _metered = null!;

    [GlobalSetup]
    public void Setup()
    {
        var inner = new CompletedChatClient(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Paris."))
        {
            ModelId = "gpt-4o-2024-08-06",
            Usage = new UsageDetails { InputTokenCount = 1_200, CachedInputTokenCount = 1_024, OutputTokenCount = 12 },
        });
        _bare = new PassThroughChatClient(inner);
        _metered = new CostMeteringChatClient(inner, PriceCatalog.BuiltIn);
        _metered.GetResponseAsync(s_messages, _options).GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> BareDelegatingClient() => _bare.GetResponseAsync(s_messages, _options);

    [Benchmark]
    public Task<ChatResponse> CostMeteringClient() => _metered.GetResponseAsync(s_messages, _options);
}
