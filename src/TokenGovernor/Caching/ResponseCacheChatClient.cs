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
    private readonly ResponseCacheOptions _options;
    private readonly ResponseCachePolicy _policy;
    private readonly ExactResponseStore? _exact;
    private readonly SemanticResponseStore? _semantic;
    private readonly PriceCatalog? _catalog;
    private readonly ICostSink[] _sinks;
    private readonly ILogger _logger;
    private readonly GovernorInstruments _instruments;
    private readonly string? _defaultModelId;
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
        _catalog = catalog;
        _sinks = sinks?.ToArray() ?? [];
        _logger = logger ?? NullLogger.Instance;
        _instruments = GovernorInstruments.For(meterFactory);
        _services = new GovernanceServices(catalog, time: timeProvider ?? TimeProvider.System, sinks: _sinks);
        _policy = new ResponseCachePolicy(_options.MaxTemperature);
        _exact = _options.EnableExact ? new ExactResponseStore(distributedCache, memoryCache, _options, _services.Time, _logger) : null;
        _semantic = _options.EnableSemantic ? new SemanticResponseStore(_options, embeddingGenerator, _services, _logger, _instruments, replicator) : null;
        _defaultModelId = innerClient.GetService<ChatClientMetadata>()?.DefaultModelId;
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
            _semantic?.Dispose();
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

    // The exact store first (the same canonical request), then the semantic store (a similar last user turn).
    private async ValueTask<Lookup> FindAsync(IList<ChatMessage> messages, ChatOptions? options, GovernanceContext context, CancellationToken cancellationToken)
    {
        if (_policy.Bypass(options))
        {
            return default;
        }

        var model = options?.ModelId ?? context.RequestedModelId ?? _defaultModelId;
        var lookup = new Lookup { Storable = true, Model = model, Context = context };
        if (_exact is not null)
        {
            var probe = await _exact.FindAsync(context.Scope, model, messages, options, cancellationToken).ConfigureAwait(false);
            lookup.ExactCacheKey = probe.CacheKey;
            lookup.ExactKey = probe.Key;
            Count(probe.Found is not null ? "hit" : "miss", "exact");
            if (probe.Found is { } exact)
            {
                lookup.Hit = new Hit(CacheStatus.Exact, 1.0, exact.Response, exact.Cost);
                return lookup;
            }
        }

        if (_semantic is not null && ResponseCachePolicy.Question(messages) is var question and >= 0 && messages[question].Text is { Length: > 0 } text)
        {
            var probe = await _semantic.FindAsync(context.Scope, model, messages, question, text, options, cancellationToken).ConfigureAwait(false);
            lookup.Partition = probe.Partition;
            lookup.Text = text;
            lookup.Vector = probe.Vector;
            if (probe.Found is { } match)
            {
                Count("hit", "semantic");
                lookup.Hit = new Hit(CacheStatus.Semantic, match.Similarity, match.Response, match.Cost);
                return lookup;
            }

            Count("miss", "semantic");
        }

        return lookup;
    }

    private static string ShadowAction(Hit hit) => hit.Status == CacheStatus.Exact
        ? "cache:exact"
        : string.Create(CultureInfo.InvariantCulture, $"cache:semantic:{hit.Similarity:0.000}");

    private async ValueTask StoreAsync(Lookup lookup, ChatResponse response, decimal cost, CancellationToken cancellationToken)
    {
        if (!lookup.Storable || !ResponseCachePolicy.MayStore(lookup.Context, response))
        {
            return;
        }

        var copy = CachedResponses.Copy(response, zeroUsage: false);
        if (lookup.ExactCacheKey is not null)
        {
            await _exact!.StoreAsync(lookup.ExactCacheKey, lookup.ExactKey!, copy, cost, cancellationToken).ConfigureAwait(false);
        }

        if (lookup.Partition is not null && lookup.Vector is not null)
        {
            await _semantic!.StoreAsync(lookup.Partition, lookup.Text!, lookup.Vector, copy, cost, cancellationToken).ConfigureAwait(false);
        }
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
