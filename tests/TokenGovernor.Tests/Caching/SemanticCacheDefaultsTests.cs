using Microsoft.Extensions.DependencyInjection;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Caching;

public class SemanticCacheDefaultsTests
{
    private static readonly ChatOptions s_options = new() { ModelId = "gpt-4o" };

    private static TestChatClient Provider() => new()
    {
        GetResponseAsyncCallback = (_, options, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "answer"))
        {
            ModelId = options?.ModelId,
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5 },
            FinishReason = ChatFinishReason.Stop,
        }),
    };

    [Fact]
    public void For_HashingOrNone_IsLexical()
    {
        using var hashing = new HashingEmbeddingGenerator();

        Assert.Same(SemanticCacheDefaults.Lexical, SemanticCacheDefaults.For(hashing));
        Assert.Same(SemanticCacheDefaults.Lexical, SemanticCacheDefaults.For(null));
        Assert.Equal(0.80f, SemanticCacheDefaults.Lexical.SimilarityThreshold);
    }

    [Fact]
    public void For_EmbedderDeclaringDefaults_UsesThem()
    {
        var declared = new SemanticCacheDefaults(0.9f, SemanticCacheGuard.Meaning);
        using var embedder = new DeclaringEmbedder(declared);

        Assert.Same(declared, SemanticCacheDefaults.For(embedder));
    }

    [Fact]
    public async Task UseSemanticCache_EmbedderDeclaresThreshold_CacheUsesIt()
    {
        // Every text embeds to the same vector (similarity 1): a threshold above 1 means no semantic hit is possible.
        using var embedder = new DeclaringEmbedder(new SemanticCacheDefaults(1.01f, SemanticCacheGuard.Meaning));
        var provider = Provider();
        var client = new ChatClientBuilder(provider).UseSemanticCache(embedder, o => o.EnableExact = false).Build();

        await client.GetResponseAsync("What are your opening hours?", s_options);
        await client.GetResponseAsync("When do you open?", s_options);

        Assert.Equal(2, provider.Calls);
        Assert.Equal(2, embedder.Calls);
    }

    [Fact]
    public async Task UseSemanticCache_AppRegisteredItsOwnEmbedder_CacheNeverCallsIt()
    {
        using var appEmbedder = new DeclaringEmbedder(SemanticCacheDefaults.Lexical);
        using var governorEmbedder = new DeclaringEmbedder(SemanticCacheDefaults.Lexical);
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(appEmbedder);
        services.AddTokenGovernor().AddEmbeddingGenerator(_ => governorEmbedder);
        using var sp = services.BuildServiceProvider();
        var client = new ChatClientBuilder(Provider()).UseSemanticCache().Build(sp);

        await client.GetResponseAsync("What are your opening hours?", s_options);

        Assert.Equal(0, appEmbedder.Calls);
        Assert.Equal(1, governorEmbedder.Calls);
    }

    [Fact]
    public async Task UseSemanticCache_OnlyAnUnkeyedEmbedderInDI_UsesHashingInstead()
    {
        using var appEmbedder = new DeclaringEmbedder(SemanticCacheDefaults.Lexical);
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(appEmbedder);
        using var sp = services.BuildServiceProvider();
        var client = new ChatClientBuilder(Provider()).UseSemanticCache().Build(sp);

        await client.GetResponseAsync("What are your opening hours?", s_options);

        Assert.Equal(0, appEmbedder.Calls);
    }

    private sealed class DeclaringEmbedder(SemanticCacheDefaults defaults) : IEmbeddingGenerator<string, Embedding<float>>
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            var vector = new float[8];
            vector[0] = 1;
            return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(values.Select(_ => new Embedding<float>(vector))));
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(SemanticCacheDefaults) ? defaults : serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }
}
