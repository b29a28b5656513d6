using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenGovernor;

/// <summary>
/// A delegating chat client that answers repeated work from a cache: first the exact cache (the same canonical request),
/// then the semantic cache (a similar last user turn in the same partition, accepted by the <see cref="SemanticCacheGuard"/>).
/// </summary>
/// <remarks>
/// <para>Place it above routing and budgets (<c>UseTokenGovernor</c> does): a hit reserves nothing, is never billed (usage is
/// reported as zero), and its avoided cost is recorded once in <see cref="GovernanceRecord.CostAvoided"/>, in sinks and in the
/// <c>token_governor.savings</c> metric.</para>
/// <para>Safety: entries are partitioned by tenant, requested model, options that change the answer and tool definitions; the
/// semantic partition also covers every system message and the last <see cref="ResponseCacheOptions.SemanticHistoryDepth"/>
/// messages before the question. Responses with tool calls, errors, content-filter or length finish reasons, server-side
/// conversation state, or from partial streams are never stored. Requests with a <c>ConversationId</c>, a temperature above
/// <see cref="ResponseCacheOptions.MaxTemperature"/>, or <see cref="ResponseCacheOptions.BypassKey"/> bypass the cache.
/// Exact keys are 128-bit hashes, and a hit compares the full canonical request, so colliding inputs never share an answer.</para>
/// <para>Streaming requests are answered from the cache as a stream. Thread-safe.</para>
/// </remarks>
public sealed class ResponseCacheChatClient : DelegatingChatClient, IGovernedLayer<ResponseCacheChatClient.Lookup>
{
    private const string KeyPrefix = "tokengovernor:exact:";
    private readonly ResponseCacheOptions _options;
    private readonly IDistributedCache? _distributed;
    private readonly IMemoryCache? _memory;
    private readonly MemoryCache? _ownedMemory;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embedder;
    private readonly HashingEmbeddingGenerator? _hashing;
    private VectorIndex<SemanticEntry>? _index;
    private readonly EmbeddingMemo _memo;
    private readonly float _threshold;
    private readonly SemanticCacheGuard _guard;
    private readonly float _questionMargin;
    private readonly GreyBandVerifier? _verifier;
    private readonly PriceCatalog? _catalog;
    private readonly ICostSink[] _sinks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GovernorInstruments _instruments;
    private readonly string? _defaultModelId;
    private readonly ISemanticCacheReplicator? _replicator;
    private readonly IDisposable? _subscription;
    private readonly GovernanceServices _services;

    /// <summary>Initializes a new caching client.</summary>
    /// <param name="innerClient">The client below (routing, budgets, metering, provider).</param>
    /// <param name="options">The options (copied), or <see langword="null"/> for the defaults (exact cache only).</param>
    /// <param name="distributedCache">The exact-cache store shared between instances; when <see langword="null"/>, <paramref name="memoryCache"/> is used.</param>
    /// <param name="memoryCache">An in-process exact-cache store; when both stores are <see langword="null"/>, the client creates and owns one.</param>
    /// <param name="embeddingGenerator">The semantic cache's embedder; defaults to <see cref="HashingEmbeddingGenerator"/>.</param>
    /// <param name="catalog">Prices a stored answer when no metering layer below reports its cost.</param>
    /// <param name="sinks">Receive one record per cache hit (with the cost it avoided).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="meterFactory">Creates the <c>TokenGovernor</c> meter.</param>
    /// <param name="replicator">Shares semantic entries with other instances (for example through Redis); <see langword="null"/> keeps them in this process.</param>
    public ResponseCacheChatClient(
        IChatClient innerClient,
        ResponseCacheOptions? options = null,
        IDistributedCache? distributedCache = null,
        IMemoryCache? memoryCache = null,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null,
        PriceCatalog? catalog = null,
        IEnumerable<ICostSink>? sinks = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null,
        IMeterFactory? meterFactory = null,
        ISemanticCacheReplicator? replicator = null)
        : base(innerClient)
    {
        _options = (options ?? new ResponseCacheOptions()).Clone();
        OptionsValidation.ThrowIfInvalid(new ResponseCacheOptionsValidator(), _options);
        _distributed = distributedCache;
        _memory = distributedCache is null ? memoryCache : null;
        if (_distributed is null && _memory is null)
        {
            _ownedMemory = new MemoryCache(new MemoryCacheOptions { SizeLimit = _options.ExactCacheSizeLimitBytes, CompactionPercentage = 0.1 });
            _memory = _ownedMemory;
        }

        _time = timeProvider ?? TimeProvider.System;
        _catalog = catalog;
        _sinks = sinks?.ToArray() ?? [];
        _logger = logger ?? NullLogger.Instance;
        _instruments = GovernorInstruments.For(meterFactory);
        _services = new GovernanceServices(catalog, time: _time, sinks: _sinks);

        // A remote embedder is metered and priced (its cost is the cache's own, counted against what it saves); a local one
        // declares a zero price and is called directly.
        var embedder = embeddingGenerator ?? new HashingEmbeddingGenerator();
        _hashing = embedder as HashingEmbeddingGenerator;
        _embedder = MeteredEmbeddingGenerator.IsFree(embedder)
            ? embedder
            : new MeteredEmbeddingGenerator(embedder, _services.Catalog, _services.Tokens, _logger, _instruments);
        var defaults = SemanticCacheDefaults.For(_embedder);
        _threshold = _options.SimilarityThreshold ?? defaults.SimilarityThreshold;
        _guard = _options.Guard ?? defaults.Guard;
        _questionMargin = _options.QuestionMargin ?? defaults.QuestionMargin;
        if (_options.EnableSemantic)
        {
            var dims = _hashing?.Dimensions ?? _embedder.GetService<EmbeddingGeneratorMetadata>()?.DefaultModelDimensions ?? 0;
            _index = dims > 0 ? CreateIndex(dims) : null;
        }

        _verifier = _options.EnableSemantic && _options.Verifier is { } verifier
            ? new GreyBandVerifier(verifier, _options.VerifierModelId, _services, _logger, _instruments)
            : null;
        _memo = new EmbeddingMemo(_options.EmbeddingMemoCapacity);
        _defaultModelId = innerClient.GetService<ChatClientMetadata>()?.DefaultModelId;
        if (_options.EnableSemantic && replicator is not null)
        {
            _replicator = replicator;
            _subscription = replicator.Subscribe(AddReplicated);
        }
    }

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GovernedCall.GetResponseAsync<ResponseCacheChatClient, Lookup>(this, InnerClient, messages, options, cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GovernedCall.GetStreamingResponseAsync<ResponseCacheChatClient, Lookup>(this, InnerClient, messages, options, cancellationToken);

    GovernanceServices IGovernedLayer<Lookup>.Services => _services;

    async ValueTask<Admission<Lookup>> IGovernedLayer<Lookup>.AdmitAsync(GovernanceContext context, IList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        context.AddSinks(_sinks, _logger);
        var spentBefore = context.CacheCost;
        var lookup = await LookupAsync(messages, options, context, cancellationToken).ConfigureAwait(false);
        lookup.CancellationToken = cancellationToken;

        // What this lookup spent (a remote embedding, the verifier) is counted against the saving: a hit saves the answer's cost
        // minus it, a miss costs it.
        var spent = context.CacheCost - spentBefore;
        if (lookup.Hit is { } hit)
        {
            return Admission<Lookup>.Answered(Serve(context, hit, spent), lookup);
        }

        context.CostAvoided -= spent;
        return Admission<Lookup>.Send(messages, options, lookup, collectStream: lookup.Storable);
    }

    async ValueTask IGovernedLayer<Lookup>.CompleteAsync(GovernanceContext context, Admission<Lookup> admission, CallOutcome outcome)
    {
        // Only a call that ran to its end is stored: never a failure, a cancellation or an abandoned stream.
        if (outcome.Completed && outcome.Failure is null && outcome.Response is { } response)
        {
            var lookup = admission.State;
            await StoreAsync(lookup, response, CostOf(outcome.Metered, response.Usage, response.ModelId ?? lookup.Model), lookup.CancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _ownedMemory?.Dispose();
            _subscription?.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask<Lookup> LookupAsync(IList<ChatMessage> messages, ChatOptions? options, GovernanceContext context, CancellationToken cancellationToken)
    {
        var lookup = await FindAsync(messages, options, context, cancellationToken).ConfigureAwait(false);
        if (_options.Shadow && lookup.Hit is { } hit)
        {
            // Shadow mode: record the hit the cache would have served; the call goes to the provider and the entry, already
            // stored, is not stored again.
            context.AddShadow(ShadowAction(hit));
            lookup.Hit = null;
            lookup.Storable = false;
        }

        return lookup;
    }

    private async ValueTask<Lookup> FindAsync(IList<ChatMessage> messages, ChatOptions? options, GovernanceContext context, CancellationToken cancellationToken)
    {
        if (Bypass(options))
        {
            return default;
        }

        var model = options?.ModelId ?? context.RequestedModelId ?? _defaultModelId;
        var lookup = new Lookup { Storable = true, Model = model, Context = context };
        if (_options.EnableExact)
        {
            (ChatResponse Response, decimal Cost)? exact = null;
            var writer = CanonicalRequest.Rent();
            try
            {
                writer.WriteExact(context.Scope, model, messages, options);
                lookup.ExactCacheKey = string.Create(CultureInfo.InvariantCulture, $"{KeyPrefix}{writer.Hash():x32}");
                if (_memory is not null)
                {
                    // In-process store: compare the full canonical request in place; copy it only when it must be stored.
                    if (_memory.TryGetValue(lookup.ExactCacheKey, out var value) && value is ExactEntry entry && entry.Key.AsSpan().SequenceEqual(writer.Written))
                    {
                        exact = (entry.Response, entry.Cost);
                    }
                    else
                    {
                        lookup.ExactKey = writer.Written.ToArray();
                    }
                }
                else
                {
                    lookup.ExactKey = writer.Written.ToArray();
                }
            }
            finally
            {
                CanonicalRequest.Return(writer);
            }

            if (_distributed is not null)
            {
                var bytes = await _distributed.GetAsync(lookup.ExactCacheKey, cancellationToken).ConfigureAwait(false);
                exact = bytes is null ? null : CachedResponses.Deserialize(bytes, lookup.ExactKey);
            }

            Count(exact is not null ? "hit" : "miss", "exact");
            if (exact is not null)
            {
                lookup.Hit = new Hit(CacheStatus.Exact, 1.0, exact.Value.Response, exact.Value.Cost);
                return lookup;
            }
        }

        if (_options.EnableSemantic && LastUserTurn(messages) is var lastUser and >= 0 && messages[lastUser].Text is { Length: > 0 } text)
        {
            var writer = CanonicalRequest.Rent();
            try
            {
                writer.WritePartition(context.Scope, model, messages, lastUser, options, _options.SemanticHistoryDepth);
                lookup.Partition = string.Create(CultureInfo.InvariantCulture, $"{writer.Hash():x32}");
            }
            finally
            {
                CanonicalRequest.Return(writer);
            }

            lookup.Text = text;
            lookup.Vector = await EmbedAsync(text, cancellationToken).ConfigureAwait(false);
            var index = Volatile.Read(ref _index) ?? EnsureIndex(lookup.Vector.Length);
            var matches = new VectorMatch<SemanticEntry>[_options.SemanticCandidates];
            // With a verifier, candidates up to GreyBand under the threshold are found too; the best one the guard accepts is
            // sent to the verifier (one call per lookup at most).
            var floor = _verifier is null ? _threshold : Math.Max(0f, _threshold - _options.GreyBand);
            var found = index.Search(lookup.Partition, lookup.Vector, matches, floor);
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

                    Count("hit", "semantic");
                    lookup.Hit = new Hit(CacheStatus.Semantic, matches[i].Score, entry.Response, entry.Cost);
                    return lookup;
                }

                CachingLog.Rejected(_logger, matches[i].Score, reason!);
            }

            Count("miss", "semantic");
        }

        return lookup;
    }

    private static string ShadowAction(Hit hit) => hit.Status == CacheStatus.Exact
        ? "cache:exact"
        : string.Create(CultureInfo.InvariantCulture, $"cache:semantic:{hit.Similarity:0.000}");

    private bool Bypass(ChatOptions? options) =>
        options is not null &&
        (options.ConversationId is not null ||
         options.Temperature > _options.MaxTemperature ||
         (options.AdditionalProperties?.TryGetValue(ResponseCacheOptions.BypassKey, out var bypass) == true && bypass is true or "true" or "True"));

    private static int LastUserTurn(IList<ChatMessage> messages)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == ChatRole.User)
            {
                return i == messages.Count - 1 ? i : -1; // the question must be the last message
            }
        }

        return -1;
    }

    private async ValueTask StoreAsync(Lookup lookup, ChatResponse response, decimal cost, CancellationToken cancellationToken)
    {
        // A refusal's fallback reply (budget exhausted, cache-only) is not an answer: storing it would keep serving it after the budget resets.
        if (!lookup.Storable || lookup.Context?.Refusal is not null || !CachedResponses.IsStorable(response))
        {
            return;
        }

        var copy = CachedResponses.Copy(response, zeroUsage: false);
        if (lookup.ExactCacheKey is not null)
        {
            if (_memory is not null)
            {
                var size = lookup.ExactKey!.Length + (2L * copy.Text.Length) + 256;
                _memory.Set(lookup.ExactCacheKey, new ExactEntry(lookup.ExactKey, copy, cost),
                    new MemoryCacheEntryOptions { AbsoluteExpirationRelativeToNow = _options.ExactTimeToLive, Size = size });
            }
            else
            {
                try
                {
                    await _distributed!.SetAsync(lookup.ExactCacheKey, CachedResponses.Serialize(lookup.ExactKey, cost, copy),
                        new DistributedCacheEntryOptions { AbsoluteExpirationRelativeToNow = _options.ExactTimeToLive }, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    CachingLog.StoreFailed(_logger, ex);
                }
            }
        }

        if (lookup.Partition is not null && lookup.Vector is not null)
        {
            (Volatile.Read(ref _index) ?? EnsureIndex(lookup.Vector.Length)).Add(lookup.Partition, lookup.Vector, new SemanticEntry(lookup.Text!, copy, cost));
            if (_replicator is not null)
            {
                try
                {
                    await _replicator.PublishAsync(new SemanticCacheEntry
                    {
                        Partition = lookup.Partition,
                        Text = lookup.Text!,
                        Vector = lookup.Vector,
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
        }
    }

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

        index.Add(entry.Partition, entry.Vector.Span, new SemanticEntry(entry.Text, entry.Response, entry.Cost), entry.ExpiresAt);
    }

    private decimal CostOf(MeteredSince metered, UsageDetails? usage, string? model)
    {
        if (metered.Metered)
        {
            return metered.Cost;
        }

        return usage is not null && _catalog is not null && _catalog.TryGetPrice(model, out var price)
            ? CostCalculator.Calculate(usage, price).Total
            : 0m;
    }

    private ChatResponse Serve(GovernanceContext context, Hit hit, decimal spent)
    {
        context.Cache = hit.Status;
        context.CacheSimilarity = hit.Similarity;
        var saved = hit.Cost - spent;
        context.CostAvoided += saved;

        // The record names the model that produced the served answer and the catalog price it was billed at, not the model asked for.
        var answeredBy = hit.Response.ModelId;
        context.AddServed(answeredBy, answeredBy is not null && _services.Catalog.TryGetPrice(answeredBy, out var price) ? price.ModelId : null);
        var mechanism = hit.Status == CacheStatus.Exact ? "cache.exact" : "cache.semantic";
        if (_instruments.Savings.Enabled)
        {
            // A counter only rises: a hit's net saving, never below zero (what misses spend is in token_governor.client.cost).
            _instruments.Savings.Add((double)Math.Max(0m, saved), new KeyValuePair<string, object?>("token_governor.mechanism", mechanism));
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            CachingLog.Hit(_logger, mechanism, hit.Similarity, saved);
        }

        Activity.Current?.SetTag("token_governor.cache", mechanism);
        return CachedResponses.Copy(hit.Response, zeroUsage: true);
    }

    private void Count(string result, string kind)
    {
        if (_instruments.CacheLookups.Enabled)
        {
            _instruments.CacheLookups.Add(1, new KeyValuePair<string, object?>("token_governor.cache.kind", kind), new KeyValuePair<string, object?>("token_governor.cache.result", result));
        }
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

    private VectorIndex<SemanticEntry> CreateIndex(int dims) => new(new VectorIndexOptions
    {
        Dimensions = dims,
        Quantize = _options.QuantizeSemanticIndex,
        TimeToLive = _options.SemanticTimeToLive,
        MemoryCapBytes = _options.SemanticIndexMemoryCapBytes,
    }, _time);

    // For embedders that do not declare their dimension: the index is created on the first embedding.
    private VectorIndex<SemanticEntry> EnsureIndex(int dims)
    {
        lock (_memo)
        {
            return _index ??= CreateIndex(dims);
        }
    }

    private sealed record ExactEntry(byte[] Key, ChatResponse Response, decimal Cost);

    internal sealed record SemanticEntry(string Text, ChatResponse Response, decimal Cost);

    internal readonly record struct Hit(CacheStatus Status, double Similarity, ChatResponse Response, decimal Cost);

    internal struct Lookup
    {
        public CancellationToken CancellationToken;
        public bool Storable;
        public GovernanceContext? Context;
        public string? Model;
        public byte[]? ExactKey;
        public string? ExactCacheKey;
        public string? Partition;
        public string? Text;
        public float[]? Vector;
        public Hit? Hit;
    }
}
