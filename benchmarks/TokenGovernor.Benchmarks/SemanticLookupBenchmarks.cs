using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.AI;
using TokenGovernor.Embeddings.MiniLM;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// A semantic lookup end to end over 100,000 stored rows of 384 dimensions, with each embedder. <c>EmbedAndSearch</c>: embed
/// the query, then top-4 search of the index at the threshold. <c>CacheHit</c>: one call through
/// <see cref="ResponseCacheChatClient"/> (exact cache off, embedding memo off, so every call embeds) whose index holds 100,000
/// replicated rows plus the stored question: partition hash, embed, search, guard, answer copied from the cache.
/// <c>Concurrent16</c>: 16 callers embed different questions and search at once, time per lookup. Baseline in each category:
/// <see cref="HashingEmbeddingGenerator"/>.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class SemanticLookupBenchmarks
{
    private const int Rows = 100_000;
    private const int Dims = 384;
    private const string Stored = "How do I reset my password?";
    private const string Asked = "How can I reset my password?";
    private const int Callers = 16;
    private static readonly ChatOptions s_options = new() { ModelId = "gpt-4o" };

    // Sixteen different short support questions, one per concurrent caller.
    private static readonly string[] s_queries =
    [
        "How can I reset my password?", "Where is my order?", "How do I change my delivery address?", "Can I get a refund for a late order?",
        "What payment methods do you accept?", "How long does express shipping take?", "Do you ship to Canada?", "How do I cancel my subscription?",
        "Why was my card declined?", "How do I update my billing details?", "Can I return an item without a receipt?", "What are your opening hours?",
        "How do I track my parcel?", "Is there a student discount?", "How do I delete my account?", "Can I change the size of my order?",
    ];

    private HashingEmbeddingGenerator _hashing = null!;
    private MiniLMEmbeddingGenerator _minilm = null!;
    private VectorIndex<int> _index = null!;
    private VectorMatch<int>[] _matches = null!;
    private IChatClient _hashingCache = null!;
    private IChatClient _minilmCache = null!;

    [GlobalSetup]
    public async Task Setup()
    {
        _hashing = new HashingEmbeddingGenerator();
        _minilm = new MiniLMEmbeddingGenerator();
        var (data, _) = VectorSearchBenchmarks.Data(Rows, Dims, seed: 7);
        _index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = Dims, MemoryCapBytes = long.MaxValue });
        for (var r = 0; r < Rows; r++)
        {
            _index.Add("p", data.AsSpan(r * Dims, Dims), r);
        }

        _matches = new VectorMatch<int>[4];
        _hashingCache = await CacheAsync(_hashing, data, "The answer.", ask: Stored).ConfigureAwait(false);
        _minilmCache = await CacheAsync(_minilm, data, "The answer.", ask: Asked).ConfigureAwait(false);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _hashingCache.Dispose();
        _minilmCache.Dispose();
        _hashing.Dispose();
        _minilm.Dispose();
    }

    /// <summary>Hash the query, search 100,000 rows.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("EmbedAndSearch")]
    public async Task<int> HashingEmbedAndSearch()
    {
        var vector = await _hashing.GenerateVectorAsync(Asked).ConfigureAwait(false);
        return _index.Search("p", vector.Span, _matches, 0.8f);
    }

    /// <summary>Embed the query with MiniLM, search 100,000 rows.</summary>
    [Benchmark]
    [BenchmarkCategory("EmbedAndSearch")]
    public async Task<int> MiniLMEmbedAndSearch()
    {
        var vector = await _minilm.GenerateVectorAsync(Asked).ConfigureAwait(false);
        return _index.Search("p", vector.Span, _matches, 0.9f);
    }

    /// <summary>16 concurrent callers, each hashing its query and searching 100,000 rows; the time is per lookup.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Callers)]
    [BenchmarkCategory("Concurrent16")]
    public Task HashingEmbedAndSearch16Concurrent() => Concurrently(_hashing, 0.8f);

    /// <summary>16 concurrent callers, each embedding its query with MiniLM (the embedder batches queries that arrive together into
    /// shared ONNX runs) and searching 100,000 rows; the time is per lookup.</summary>
    [Benchmark(OperationsPerInvoke = Callers)]
    [BenchmarkCategory("Concurrent16")]
    public Task MiniLMEmbedAndSearch16Concurrent() => Concurrently(_minilm, 0.9f);

    /// <summary>A semantic hit through the cache with the hashing embedder (the same question, so the lexical embedder hits).</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("CacheHit")]
    public Task<ChatResponse> HashingCacheHit() => _hashingCache.GetResponseAsync(Stored, s_options);

    /// <summary>A semantic hit through the cache with MiniLM, on a paraphrase of the stored question.</summary>
    [Benchmark]
    [BenchmarkCategory("CacheHit")]
    public Task<ChatResponse> MiniLMCacheHit() => _minilmCache.GetResponseAsync(Asked, s_options);

    private Task Concurrently(IEmbeddingGenerator<string, Embedding<float>> embedder, float threshold)
    {
        var callers = new Task[Callers];
        for (var c = 0; c < Callers; c++)
        {
            var query = s_queries[c];
            callers[c] = Task.Run(async () =>
            {
                var vector = await embedder.GenerateVectorAsync(query).ConfigureAwait(false);
                var matches = new VectorMatch<int>[4];
                return _index.Search("p", vector.Span, matches, threshold);
            });
        }

        return Task.WhenAll(callers);
    }

    private static async Task<IChatClient> CacheAsync(IEmbeddingGenerator<string, Embedding<float>> embedder, float[] data, string answer, string ask)
    {
        var replicator = new Replicator();
        var provider = new AnswerClient(answer);
        var cache = new ResponseCacheChatClient(provider, new ResponseCacheOptions
        {
            EnableExact = false,
            EnableSemantic = true,
            EmbeddingMemoCapacity = 0,
            SemanticIndexMemoryCapBytes = long.MaxValue,
        }, embeddingGenerator: embedder, replicator: replicator);

        // The first call stores the question and publishes it: its partition is where the replicated rows go.
        await cache.GetResponseAsync(Stored, s_options).ConfigureAwait(false);
        var partition = replicator.Published!.Partition;
        var expires = DateTimeOffset.UtcNow.AddDays(1);
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "another answer"));
        for (var r = 0; r < Rows; r++)
        {
            replicator.Deliver(new SemanticCacheEntry
            {
                Partition = partition,
                Text = "stored question " + r,
                Vector = data.AsMemory(r * Dims, Dims),
                Response = response,
                ExpiresAt = expires,
            });
        }

        var check = await cache.GetResponseAsync(ask, s_options).ConfigureAwait(false);
        if (check.GetGovernance()?.Cache != CacheStatus.Semantic)
        {
            throw new InvalidOperationException($"The benchmark's lookup '{ask}' did not hit the semantic cache with {embedder.GetType().Name}.");
        }

        return cache;
    }

    private sealed class Replicator : ISemanticCacheReplicator
    {
        private Action<SemanticCacheEntry>? _subscriber;

        public SemanticCacheEntry? Published { get; private set; }

        public ValueTask PublishAsync(SemanticCacheEntry entry, CancellationToken cancellationToken = default)
        {
            Published = entry;
            return ValueTask.CompletedTask;
        }

        public IDisposable Subscribe(Action<SemanticCacheEntry> onEntry)
        {
            _subscriber = onEntry;
            return new Unsubscribe();
        }

        public void Deliver(SemanticCacheEntry entry) => _subscriber!(entry);

        private sealed class Unsubscribe : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }

    private sealed class AnswerClient(string answer) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer))
            {
                ModelId = options?.ModelId,
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 20, OutputTokenCount = 40 },
            });

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
            CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
