using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>
/// The semantic cache's store: embeds the question (memoized; a remote embedder metered), searches the partition's entries in
/// an in-process vector index, applies the threshold, the question margin, the guard and the optional grey-band verifier, and
/// shares stored entries through an <see cref="ISemanticCacheReplicator"/>.
/// </summary>
internal sealed class SemanticResponseStore : IDisposable
{
    private readonly ResponseCacheOptions _options;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embedder;
    private readonly HashingEmbeddingGenerator? _hashing;
    private readonly EmbeddingMemo _memo;
    private readonly float _threshold;
    private readonly SemanticCacheGuard _guard;
    private readonly float _questionMargin;
    private readonly GreyBandVerifier? _verifier;
    private readonly ISemanticCacheReplicator? _replicator;
    private readonly IDisposable? _subscription;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private VectorIndex<Entry>? _index;

    public SemanticResponseStore(ResponseCacheOptions options, IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator, GovernanceServices services,
        ILogger logger, GovernorInstruments instruments, ISemanticCacheReplicator? replicator)
    {
        _options = options;
        _time = services.Time;
        _logger = logger;

        // A remote embedder is metered and priced (its cost is the cache's own, counted against what it saves); a local one
        // declares a zero price and is called directly.
        var embedder = embeddingGenerator ?? new HashingEmbeddingGenerator();
        _hashing = embedder as HashingEmbeddingGenerator;
        _embedder = MeteredEmbeddingGenerator.IsFree(embedder)
            ? embedder
            : new MeteredEmbeddingGenerator(embedder, services.Catalog, services.Tokens, logger, instruments);
        var defaults = SemanticCacheDefaults.For(_embedder);
        _threshold = options.SimilarityThreshold ?? defaults.SimilarityThreshold;
        _guard = options.Guard ?? defaults.Guard;
        _questionMargin = options.QuestionMargin ?? defaults.QuestionMargin;
        var dims = _hashing?.Dimensions ?? _embedder.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelDimensions ?? 0;
        _index = dims > 0 ? CreateIndex(dims) : null;
        _verifier = options.Verifier is { } verifier ? new GreyBandVerifier(verifier, options.VerifierModelId, services, logger, instruments) : null;
        _memo = new EmbeddingMemo(options.EmbeddingMemoCapacity);
        if (replicator is not null)
        {
            _replicator = replicator;
            _subscription = replicator.Subscribe(AddReplicated);
        }
    }

    /// <summary>Embeds the question at <paramref name="question"/> and looks for a stored answer to a similar one in its partition.</summary>
    public async ValueTask<Probe> FindAsync(GovernanceScope scope, string? model, IList<ChatMessage> messages, int question, string text, ChatOptions? options,
        CancellationToken cancellationToken)
    {
        string partition;
        var writer = CanonicalRequest.Rent();
        try
        {
            writer.WritePartition(scope, model, messages, question, options, _options.SemanticHistoryDepth);
            partition = writer.HashKey(string.Empty);
        }
        finally
        {
            CanonicalRequest.Return(writer);
        }

        var vector = await EmbedAsync(text, cancellationToken).ConfigureAwait(false);
        var index = Volatile.Read(ref _index) ?? EnsureIndex(vector.Length);
        var matches = new VectorMatch<Entry>[_options.SemanticCandidates];

        // With a verifier, candidates up to GreyBand under the threshold are found too; the best one the guard accepts is
        // sent to the verifier (one call per lookup at most).
        var floor = _verifier is null ? _threshold : Math.Max(0f, _threshold - _options.GreyBand);
        var found = index.Search(partition, vector, matches, floor);
        var verified = false;
        for (var i = 0; i < found; i++)
        {
            var entry = matches[i].Payload;
            var clears = SemanticCacheGuard.ClearsThreshold(matches[i].Score, _threshold, _questionMargin, text, entry.Text);
            if (!clears && (_verifier is null || verified ||
                !SemanticCacheGuard.ClearsThreshold(matches[i].Score + _options.GreyBand, _threshold, _questionMargin, text, entry.Text)))
            {
                continue;
            }

            if (_guard.Accepts(text, entry.Text, out var reason))
            {
                if (!clears)
                {
                    verified = true;
                    if (!await _verifier!.SameAsync(text, entry.Text, matches[i].Score, cancellationToken).ConfigureAwait(false))
                    {
                        continue;
                    }
                }

                return new Probe(partition, vector, new Match(matches[i].Score, entry.Response, entry.Cost));
            }

            CachingLog.Rejected(_logger, matches[i].Score, reason!);
        }

        return new Probe(partition, vector, null);
    }

    /// <summary>Adds an answer to the index and publishes it to other instances (a failing publish is logged, never thrown).</summary>
    public async ValueTask StoreAsync(string partition, string text, float[] vector, ChatResponse copy, decimal cost, CancellationToken cancellationToken)
    {
        (Volatile.Read(ref _index) ?? EnsureIndex(vector.Length)).Add(partition, vector, new Entry(text, copy, cost));
        if (_replicator is null)
        {
            return;
        }

        try
        {
            await _replicator.PublishAsync(new SemanticCacheEntry
            {
                Partition = partition,
                Text = text,
                Vector = vector,
                Response = copy,
                Cost = cost,
                ExpiresAt = _time.GetUtcNow() + _options.SemanticTimeToLive,
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CachingLog.PublishFailed(_logger, ex);
        }
    }

    public void Dispose() => _subscription?.Dispose();

    // Entries other instances stored: added to this process's index with their original expiry, so lookups stay in-process.
    private void AddReplicated(SemanticCacheEntry entry)
    {
        if (entry.ExpiresAt <= _time.GetUtcNow() || entry.Vector.Length == 0)
        {
            return;
        }

        var index = Volatile.Read(ref _index) ?? EnsureIndex(entry.Vector.Length);
        if (index.Dimensions != entry.Vector.Length)
        {
            CachingLog.ReplicatedDimensionMismatch(_logger, entry.Vector.Length, index.Dimensions);
            return;
        }

        index.Add(entry.Partition, entry.Vector.Span, new Entry(entry.Text, entry.Response, entry.Cost), entry.ExpiresAt);
    }

    private async ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken)
    {
        if (_memo.TryGet(text, out var vector))
        {
            return vector;
        }

        if (_hashing is not null)
        {
            vector = new float[_hashing.Dimensions];
            _hashing.Embed(text, vector);
        }
        else
        {
            vector = (await _embedder.GenerateVectorAsync(text, cancellationToken: cancellationToken).ConfigureAwait(false)).ToArray();
        }

        _memo.Add(text, vector);
        return vector;
    }

    private VectorIndex<Entry> CreateIndex(int dims) => new(new VectorIndexOptions
    {
        Dimensions = dims,
        Quantize = _options.QuantizeSemanticIndex,
        TimeToLive = _options.SemanticTimeToLive,
        MemoryCapBytes = _options.SemanticIndexMemoryCapBytes,
    }, _time);

    // For embedders that do not declare their dimension: the index is created on the first embedding.
    private VectorIndex<Entry> EnsureIndex(int dims)
    {
        lock (_memo)
        {
            return _index ??= CreateIndex(dims);
        }
    }

    /// <summary>What a lookup found: the partition and the question's vector (to store under on a miss), and the match, if any.</summary>
    internal readonly record struct Probe(string Partition, float[] Vector, Match? Found);

    /// <summary>A stored answer that passed the threshold, the guard and (in the grey band) the verifier.</summary>
    internal readonly record struct Match(double Similarity, ChatResponse Response, decimal Cost);

    internal sealed record Entry(string Text, ChatResponse Response, decimal Cost);
}
