using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace TokenGovernor.Benchmarks;

/// <summary>An exact-cache hit for a ~3,000-token conversation. Baseline: M.E.AI's <c>DistributedCachingChatClient</c> hit on the same request with an in-memory store.</summary>
[MemoryDiagnoser]
public class ExactCacheBenchmarks
{
    private readonly ChatOptions _options = new() { ModelId = "gpt-4o", Temperature = 0.2f };
    private List<ChatMessage> _messages = null!;
    private IChatClient _meai = null!;
    private IChatClient _governed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _messages = Conversations.Create(24);
        Console.WriteLine($"// request size: {TiktokenTokenEstimator.Default.CountPromptTokens(_messages, null, "gpt-4o")} prompt tokens");
        var inner = new CompletedChatClient(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Cached answer with a few sentences of text in it."))
        {
            ModelId = "gpt-4o",
            FinishReason = ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 3_000, OutputTokenCount = 20 },
        });
        _meai = new ChatClientBuilder(inner)
            .UseDistributedCache(new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions())))
            .Build();
        _governed = new ChatClientBuilder(inner).UseResponseCache().UseCostMetering().Build();
        _meai.GetResponseAsync(_messages, _options).GetAwaiter().GetResult();
        _governed.GetResponseAsync(_messages, _options).GetAwaiter().GetResult();
        if (_governed.GetResponseAsync(_messages, _options).GetAwaiter().GetResult().GetGovernance()?.Cache != CacheStatus.Exact)
        {
            throw new InvalidOperationException("The governed cache did not hit.");
        }
    }

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> MeaiDistributedCachingHit() => _meai.GetResponseAsync(_messages, _options);

    [Benchmark]
    public Task<ChatResponse> TokenGovernorExactHit() => _governed.GetResponseAsync(_messages, _options);
}
