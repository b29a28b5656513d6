using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Caching;

/// <summary>A remote embedder's calls are priced and counted against the semantic cache's saving; local ones cost nothing.</summary>
public class RemoteEmbeddingCostTests
{
    // text-embedding-3-small: 0.02 USD per million input tokens in the built-in catalog.
    private const decimal EmbeddingCost = 1_000 * 0.02m / 1_000_000m;

    private static readonly UsageDetails s_usage = new() { InputTokenCount = 1_000, OutputTokenCount = 100 };

    private static TestChatClient Provider() => new()
    {
        GetResponseAsyncCallback = (messages, options, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "answer to " + messages.Last().Text))
        {
            ModelId = options?.ModelId,
            Usage = s_usage,
            FinishReason = ChatFinishReason.Stop,
        }),
    };

    private static FakeEmbedder Remote(long? tokens = 1_000) => new(
        metadata: new EmbeddingGeneratorMetadata("openai", new Uri("https://api.openai.com/v1"), "text-embedding-3-small", 8),
        usage: _ => tokens is null ? null : new UsageDetails { InputTokenCount = tokens });

    private static IChatClient Pipeline(IChatClient provider, IEmbeddingGenerator<string, Embedding<float>> embedder, RecordingSink? sink = null) =>
        new ChatClientBuilder(provider)
            .Use(inner => new ResponseCacheChatClient(inner, new ResponseCacheOptions { EnableSemantic = true, EnableExact = false, EmbeddingMemoCapacity = 0 },
                embeddingGenerator: embedder, catalog: PriceCatalog.BuiltIn, sinks: sink is null ? null : [sink]))
            .UseCostMetering()
            .Build();

    private static ChatOptions Gpt4o() => new() { ModelId = "gpt-4o" };

    private static decimal AnswerCost() => CostCalculator.Calculate(s_usage, PriceCatalog.BuiltIn.GetPrice("gpt-4o")).Total;

    [Fact]
    public async Task GetResponseAsync_RemoteEmbedderMiss_RecordAddsEmbeddingCostAndNegativeSaving()
    {
        var client = Pipeline(Provider(), Remote());

        var record = (await client.GetResponseAsync("What are your opening hours?", Gpt4o())).GetGovernance()!;

        Assert.Equal(EmbeddingCost, record.CacheCost);
        Assert.Equal(AnswerCost() + EmbeddingCost, record.Cost.Total);
        Assert.Equal(-EmbeddingCost, record.CostAvoided);
        Assert.Equal("gpt-4o", record.ModelId);
        Assert.Equal(1, record.ProviderCalls);
    }

    [Fact]
    public async Task GetResponseAsync_RemoteEmbedderSemanticHit_SavingIsNetOfEmbedding()
    {
        var provider = Provider();
        var client = Pipeline(provider, Remote());

        await client.GetResponseAsync("What are your opening hours?", Gpt4o());
        var record = (await client.GetResponseAsync("What are your opening hours?", Gpt4o())).GetGovernance()!;

        Assert.Equal(1, provider.Calls);
        Assert.Equal(CacheStatus.Semantic, record.Cache);
        Assert.Equal(EmbeddingCost, record.CacheCost);
        Assert.Equal(EmbeddingCost, record.Cost.Total);
        Assert.Equal(AnswerCost() - EmbeddingCost, record.CostAvoided);
    }

    [Fact]
    public async Task GetResponseAsync_RemoteEmbedderHit_SinkReceivesTheCacheCost()
    {
        var sink = new RecordingSink();
        var client = Pipeline(Provider(), Remote(), sink);

        await client.GetResponseAsync("What are your opening hours?", Gpt4o());
        await client.GetResponseAsync("What are your opening hours?", Gpt4o());

        Assert.Equal([EmbeddingCost, EmbeddingCost], sink.Records.Select(r => r.CacheCost));
        Assert.Equal((2 * EmbeddingCost) + AnswerCost(), sink.Records.Sum(r => r.Cost.Total));
    }

    [Fact]
    public async Task GetResponseAsync_RemoteEmbedderReportsNoUsage_PricesTheTokenizersCount()
    {
        var client = Pipeline(Provider(), Remote(tokens: null));
        const string Question = "What are your opening hours?";

        var record = (await client.GetResponseAsync(Question, Gpt4o())).GetGovernance()!;

        var expected = TiktokenTokenEstimator.Default.CountTokens(Question, "text-embedding-3-small") * 0.02m / 1_000_000m;
        Assert.True(expected > 0m);
        Assert.Equal(expected, record.CacheCost);
    }

    [Fact]
    public async Task GetResponseAsync_HashingEmbedder_CostsNothing()
    {
        var client = Pipeline(Provider(), new HashingEmbeddingGenerator());

        await client.GetResponseAsync("What are your opening hours?", Gpt4o());
        var record = (await client.GetResponseAsync("What are your opening hours?", Gpt4o())).GetGovernance()!;

        Assert.Equal(CacheStatus.Semantic, record.Cache);
        Assert.Equal(0m, record.CacheCost);
        Assert.Equal(0m, record.Cost.Total);
        Assert.Equal(AnswerCost(), record.CostAvoided);
    }

    [Fact]
    public void IsFree_LocalOrRemote_FollowsTheDeclaredPrice()
    {
        Assert.True(MeteredEmbeddingGenerator.IsFree(new HashingEmbeddingGenerator()));
        Assert.False(MeteredEmbeddingGenerator.IsFree(Remote()));
    }
}
