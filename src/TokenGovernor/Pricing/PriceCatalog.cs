using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenGovernor;

/// <summary>
/// An immutable set of <see cref="ModelPrice"/>s with model-id resolution: provider prefixes
/// (<c>openai/gpt-4o</c>), aliases and Azure deployment names, dated snapshots (<c>gpt-4o-2024-08-06</c>,
/// <c>claude-3-5-sonnet-20241022</c>, <c>claude-sonnet-4@20250514</c>) and Bedrock ids
/// (<c>us.anthropic.claude-sonnet-4-20250514-v1:0</c>) all resolve to the base model.
/// </summary>
/// <remarks>
/// Build one with <see cref="PriceCatalogBuilder"/>; <see cref="BuiltIn"/> is the embedded catalog of current
/// models, each price recorded with its source and date. Lookups are case-insensitive, thread-safe and memoized.
/// </remarks>
public sealed partial class PriceCatalog
{
    private const int MaxResolutionCacheEntries = 4096;
    private const int RecentSlots = 16; // a power of two
    private static readonly Lazy<PriceCatalog> s_builtIn = new(() => new PriceCatalogBuilder().AddBuiltIn().Build());

    private readonly FrozenDictionary<string, ModelPrice> _prices;
    private readonly FrozenDictionary<string, string> _aliases;
    private readonly ConcurrentDictionary<string, ModelPrice?> _resolved = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _warned = new(StringComparer.OrdinalIgnoreCase);
    private readonly ILogger _logger;
    private readonly CatalogRule[] _rules;
    private readonly CatalogProvider[] _providers;
    private readonly Dictionary<string, CatalogRule[]> _rulesByProvider;
    private readonly Lazy<Dictionary<string, string>> _bareNames;
    private readonly LastLookup?[] _recent = new LastLookup?[RecentSlots];
    private int _staleWarned;

    internal PriceCatalog(
        IEnumerable<ModelPrice> prices,
        IEnumerable<KeyValuePair<string, string>> aliases,
        UnknownModelPolicy policy,
        ModelPrice? fallbackPrice,
        ILogger? logger)
        : this(prices, aliases, policy, fallbackPrice, logger, [], [], null, DefaultStaleAfterDays)
    {
    }

    internal PriceCatalog(
        IEnumerable<ModelPrice> prices,
        IEnumerable<KeyValuePair<string, string>> aliases,
        UnknownModelPolicy policy,
        ModelPrice? fallbackPrice,
        ILogger? logger,
        IReadOnlyList<CatalogRule> rules,
        IReadOnlyList<CatalogProvider> providers,
        DateOnly? asOf,
        int staleAfterDays)
    {
        if (policy == UnknownModelPolicy.UseFallbackPrice && fallbackPrice is null)
        {
            throw new ArgumentException(
                "UnknownModelPolicy is UseFallbackPrice but no fallback price is set. Set TokenGovernor:FallbackPrice " +
                "(or pass fallbackPrice to PriceCatalogBuilder.SetUnknownModelPolicy).", nameof(fallbackPrice));
        }

        _prices = prices.ToFrozenDictionary(p => p.ModelId, StringComparer.OrdinalIgnoreCase);
        _aliases = aliases.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        UnknownModelPolicy = policy;
        FallbackPrice = fallbackPrice;
        _logger = logger ?? NullLogger.Instance;
        _rules = [.. rules.Where(r => _prices.ContainsKey(r.ModelKey))];
        _providers = [.. providers];
        _rulesByProvider = _rules.GroupBy(r => r.ProviderId, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.OrdinalIgnoreCase);
        AsOf = asOf ?? _prices.Values.Select(p => p.AsOf).Max();
        _bareNames = new Lazy<Dictionary<string, string>>(BuildBareNames);
        StaleAfterDays = staleAfterDays;
    }

    /// <summary>The age in days after which <see cref="WarnIfStale"/> warns, unless the builder sets another.</summary>
    public const int DefaultStaleAfterDays = 90;

    /// <summary>Gets the date the catalog's prices were read from their sources (for the built-in catalog, the date of the
    /// genai-prices release it was generated from), or <see langword="null"/> when no source gave one.</summary>
    public DateOnly? AsOf { get; }

    /// <summary>Gets the age in days after which the catalog is stale and <see cref="WarnIfStale"/> logs a warning.</summary>
    /// <value>Defaults to <see cref="DefaultStaleAfterDays"/> (90).</value>
    public int StaleAfterDays { get; }

    /// <summary>Gets how old the catalog's prices are at <paramref name="timeProvider"/>'s current time.</summary>
    /// <param name="timeProvider">The clock; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <returns>The age, or <see langword="null"/> when <see cref="AsOf"/> is unknown.</returns>
    public TimeSpan? GetAge(TimeProvider? timeProvider = null) =>
        AsOf is { } asOf ? (timeProvider ?? TimeProvider.System).GetUtcNow() - new DateTimeOffset(asOf.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero) : null;

    /// <summary>Logs one warning, the first time it is called on this catalog, when the catalog is older than
    /// <see cref="StaleAfterDays"/>. Metering calls it when it is built; call it yourself where you load a catalog.</summary>
    /// <param name="logger">Where the warning goes.</param>
    /// <param name="timeProvider">The clock; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <returns><see langword="true"/> when the catalog is stale (whether or not this call logged).</returns>
    public bool WarnIfStale(ILogger? logger, TimeProvider? timeProvider = null)
    {
        if (GetAge(timeProvider) is not { } age || age.TotalDays <= StaleAfterDays)
        {
            return false;
        }

        if (Interlocked.Exchange(ref _staleWarned, 1) == 0 && logger is not null)
        {
            PricingLog.CatalogStale(logger, AsOf!.Value.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), (int)age.TotalDays, StaleAfterDays);
        }

        return true;
    }

    /// <summary>Returns the catalog's model ids closest in spelling to <paramref name="modelId"/>, for "did you mean" messages.</summary>
    /// <param name="modelId">An id the catalog did not resolve.</param>
    /// <param name="count">How many ids to return.</param>
    /// <returns>Up to <paramref name="count"/> ids, closest first.</returns>
    public IReadOnlyList<string> SuggestModelIds(string? modelId, int count = 3)
    {
        if (string.IsNullOrWhiteSpace(modelId) || count <= 0)
        {
            return [];
        }

        var target = modelId.Trim().ToLowerInvariant();
        var slash = target.LastIndexOf('/');
        var bare = slash >= 0 ? target[(slash + 1)..] : target;
        return _prices.Keys
            .Concat(_aliases.Keys)
            .Select(k => (Key: k, Distance: Math.Min(EditDistance.Between(k.ToLowerInvariant(), target), EditDistance.Between(k.ToLowerInvariant(), bare))))
            .OrderBy(x => x.Distance).ThenBy(x => x.Key.Length).ThenBy(x => x.Key, StringComparer.Ordinal)
            .Select(x => _aliases.TryGetValue(x.Key, out var t) ? t : x.Key)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Take(count)
            .ToList();
    }

    internal IReadOnlyList<CatalogRule> Rules => _rules;

    internal IReadOnlyList<CatalogProvider> Providers => _providers;

    /// <summary>Gets the embedded catalog of current models, with <see cref="UnknownModelPolicy.Throw"/>.</summary>
    public static PriceCatalog BuiltIn => s_builtIn.Value;

    /// <summary>Gets every price in the catalog, keyed by canonical model id.</summary>
    public IReadOnlyCollection<ModelPrice> Models => _prices.Values;

    /// <summary>Gets the aliases (alias → model id) the catalog resolves.</summary>
    public IReadOnlyDictionary<string, string> Aliases => _aliases;

    /// <summary>Gets what <see cref="GetPrice"/> does for a model the catalog does not know.</summary>
    public UnknownModelPolicy UnknownModelPolicy { get; }

    /// <summary>Gets the price used under <see cref="UnknownModelPolicy.UseFallbackPrice"/>, if any.</summary>
    public ModelPrice? FallbackPrice { get; }

    /// <summary>Resolves <paramref name="modelId"/> to a known price, without applying <see cref="UnknownModelPolicy"/>.</summary>
    /// <param name="modelId">A model id as a provider or caller spells it.</param>
    /// <param name="price">The price when found.</param>
    /// <returns><see langword="true"/> when the model, or the base model it resolves to, has a price.</returns>
    public bool TryGetPrice(string? modelId, [NotNullWhen(true)] out ModelPrice? price)
    {
        if (modelId is null)
        {
            price = null;
            return false;
        }

        // A call prices the same few spellings over and over (the requested model, the one that answered): the last lookup of
        // each is remembered exactly as spelled, so a repeat costs one ordinal comparison instead of two case-insensitive hashes.
        ref var slot = ref _recent[RecentSlot(modelId)];
        if (slot is { } last && (ReferenceEquals(last.ModelId, modelId) || string.Equals(last.ModelId, modelId, StringComparison.Ordinal)))
        {
            price = last.Price;
            return price is not null;
        }

        if (string.IsNullOrWhiteSpace(modelId))
        {
            price = null;
            return false;
        }

        if (!_prices.TryGetValue(modelId, out price) && !_resolved.TryGetValue(modelId, out price))
        {
            price = Resolve(modelId);
            if (_resolved.Count < MaxResolutionCacheEntries)
            {
                _resolved.TryAdd(modelId, price);
            }
        }

        slot = new LastLookup(modelId, price); // one reference write: a reader sees the old entry or the new one, never half of one
        return price is not null;
    }

    // Spread by length and the last two characters (dated and sized spellings of one family differ there); no hash of the whole id.
    private static int RecentSlot(string modelId) =>
        modelId.Length < 2 ? modelId.Length : (modelId.Length ^ (modelId[^1] * 7) ^ (modelId[^2] * 3)) & (RecentSlots - 1);

    /// <summary>Gets the price for <paramref name="modelId"/>, applying <see cref="UnknownModelPolicy"/> when it is unknown.</summary>
    /// <param name="modelId">A model id as a provider or caller spells it.</param>
    /// <returns>The model's price; the fallback price or a zero price when the policy says so.</returns>
    /// <exception cref="UnknownModelException">The model is unknown and the policy is <see cref="UnknownModelPolicy.Throw"/>.</exception>
    public ModelPrice GetPrice(string? modelId)
    {
        if (TryGetPrice(modelId, out var price))
        {
            return price;
        }

        switch (UnknownModelPolicy)
        {
            case UnknownModelPolicy.UseFallbackPrice:
                WarnOnce(modelId, usedFallback: true);
                return FallbackPrice!;
            case UnknownModelPolicy.Zero:
                WarnOnce(modelId, usedFallback: false);
                return new ModelPrice(string.IsNullOrWhiteSpace(modelId) ? "unknown" : modelId, 0m, 0m) { Source = "UnknownModelPolicy.Zero" };
            default:
                throw new UnknownModelException(string.IsNullOrWhiteSpace(modelId) ? null : modelId);
        }
    }

    /// <summary>Returns a builder that starts with this catalog's prices, aliases and policy.</summary>
    /// <returns>A new builder; the catalog itself is not changed.</returns>
    public PriceCatalogBuilder ToBuilder()
    {
        var builder = new PriceCatalogBuilder();
        foreach (var price in _prices.Values)
        {
            builder.Add(price);
        }

        foreach (var alias in _aliases)
        {
            builder.AddAlias(alias.Key, alias.Value);
        }

        builder.AddRules(_providers, _rules, AsOf, StaleAfterDays);
        return builder.SetUnknownModelPolicy(UnknownModelPolicy, FallbackPrice);
    }

    private void WarnOnce(string? modelId, bool usedFallback)
    {
        var key = modelId ?? string.Empty;
        if (_warned.TryAdd(key, true) && _warned.Count < MaxResolutionCacheEntries)
        {
            if (usedFallback)
            {
                PricingLog.UnknownModelFallback(_logger, key, FallbackPrice!.ModelId);
            }
            else
            {
                PricingLog.UnknownModelZero(_logger, key);
            }
        }
    }

    private ModelPrice? Resolve(string modelId)
    {
        // The id and each layer of decoration peeled off it (provider prefix, Bedrock region, version and date suffixes).
        var candidates = new List<string>(4);
        var candidate = modelId.Trim();
        for (var pass = 0; pass < 8 && candidate.Length > 0; pass++)
        {
            candidates.Add(candidate);
            if (pass > 0 && !candidate.EndsWith("-latest", StringComparison.OrdinalIgnoreCase))
            {
                // A dated snapshot peeled to its family ("mistral-small-2506" → "mistral-small") is priced as the family's latest.
                candidates.Add(candidate + "-latest");
            }

            var next = ModelIdNormalizer.PeelOnce(candidate, _prices, _aliases);
            if (next is null || next.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                break;
            }

            candidate = next;
        }

        // Phase 1: the id as given, exactly or by alias, then by the rules of the provider it names or that claims it (so a
        // Bedrock or reseller spelling keeps its own price). Phase 2: the same for each peeled spelling. Phase 3: every provider's
        // rules. Phase 4: a reseller id's last segment.
        var original = candidates[0].ToLowerInvariant();
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            if (_prices.TryGetValue(c, out var price))
            {
                return price;
            }

            if (_aliases.TryGetValue(c, out var target) && _prices.TryGetValue(target, out price))
            {
                return price;
            }

            if (i == 0 && _rules.Length > 0 && MatchClaimed(original, original) is { } claimed)
            {
                return claimed;
            }
        }

        if (_rules.Length == 0)
        {
            return null;
        }

        for (var i = 1; i < candidates.Count; i++)
        {
            if (MatchClaimed(candidates[i].ToLowerInvariant(), original) is { } price)
            {
                return price;
            }
        }

        foreach (var c in candidates)
        {
            if (MatchAny(c.ToLowerInvariant(), original) is { } price)
            {
                return price;
            }
        }

        // Phase 4: the last path segment of a reseller's id ("openrouter/z-ai/glm-4.6" answers "glm-4.6").
        foreach (var c in candidates)
        {
            if (_bareNames.Value.TryGetValue(c, out var key))
            {
                return _prices[key];
            }
        }

        return null;
    }

    private ModelPrice? MatchClaimed(string lower, string original)
    {
        var slash = lower.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && slash < lower.Length - 1)
        {
            var prefix = lower[..slash];
            var rest = lower[(slash + 1)..];
            foreach (var provider in _providers)
            {
                if (NamesProvider(provider, prefix) && (MatchIn(provider, rest, 0) ?? MatchIn(provider, lower, 0)) is { } p)
                {
                    return p;
                }
            }
        }

        // Bedrock and Vertex spellings name their platform by shape, not by prefix.
        if (PlatformOf(original) is { } platform && Array.Find(_providers, p => p.Id == platform) is { } host && MatchIn(host, lower, 0) is { } hosted)
        {
            return hosted;
        }

        foreach (var provider in _providers)
        {
            if (provider.ModelMatch is { } m && m.IsMatch(lower) && MatchIn(provider, lower, 0) is { } p)
            {
                return p;
            }
        }

        return null;
    }

    private ModelPrice? MatchAny(string lower, string original)
    {
        var platform = PlatformOf(original);
        foreach (var provider in _providers)
        {
            if (provider.Id != platform && MatchIn(provider, lower, 0) is { } p)
            {
                return p;
            }
        }

        return null;
    }

    // us.anthropic.claude-…-v1:0 is Bedrock; claude-…@20250514 is Vertex AI.
    private static string? PlatformOf(string lowerId)
    {
        if (lowerId.Contains('@', StringComparison.Ordinal))
        {
            return "google";
        }

        var dot = lowerId.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && (lowerId.EndsWith(":0", StringComparison.Ordinal) || lowerId.Contains("-v1", StringComparison.Ordinal)
            || lowerId.StartsWith("us.", StringComparison.Ordinal) || lowerId.StartsWith("eu.", StringComparison.Ordinal)
            || lowerId.StartsWith("apac.", StringComparison.Ordinal) || lowerId.StartsWith("global.", StringComparison.Ordinal)
            || lowerId.StartsWith("anthropic.", StringComparison.Ordinal) || lowerId.StartsWith("amazon.", StringComparison.Ordinal)
            || lowerId.StartsWith("meta.", StringComparison.Ordinal) || lowerId.StartsWith("bedrock/", StringComparison.Ordinal)))
        {
            return "aws";
        }

        return null;
    }

    private Dictionary<string, string> BuildBareNames()
    {
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var rule in _rules)
        {
            var key = rule.ModelKey;
            var slash = key.LastIndexOf('/');
            if (slash > 0 && slash < key.Length - 1)
            {
                names.TryAdd(key[(slash + 1)..], key);
            }
        }

        return names;
    }

    private static bool NamesProvider(CatalogProvider provider, string prefix)
    {
        if (prefix.Equals(provider.Id, StringComparison.OrdinalIgnoreCase) || (provider.ProviderMatch?.IsMatch(prefix) ?? false))
        {
            return true;
        }

        // LiteLLM's spellings: together_ai, fireworks_ai, vertex_ai, azure_ai, xai.
        var trimmed = prefix.Replace("_ai", string.Empty, StringComparison.Ordinal).Replace("-ai", string.Empty, StringComparison.Ordinal);
        return trimmed.Equals(provider.Id.Replace("-ai", string.Empty, StringComparison.Ordinal).Replace("x-", "x", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    private ModelPrice? MatchIn(CatalogProvider provider, string lowerId, int depth)
    {
        if (_rulesByProvider.TryGetValue(provider.Id, out var rules))
        {
            var dated = DashedDate(lowerId);
            foreach (var rule in rules)
            {
                if (rule.Match.IsMatch(lowerId) || (dated is not null && rule.Match.IsMatch(dated)))
                {
                    return _prices[rule.ModelKey];
                }
            }
        }

        if (depth == 0)
        {
            foreach (var fallback in provider.FallbackProviders)
            {
                var other = Array.Find(_providers, p => p.Id.Equals(fallback, StringComparison.OrdinalIgnoreCase));
                if (other is not null && MatchIn(other, lowerId, 1) is { } p)
                {
                    return p;
                }
            }
        }

        return null;
    }

    // claude-sonnet-4-5-20250929 → claude-sonnet-4-5-2025-09-29, the spelling some rules use.
    private static string? DashedDate(string id)
    {
        for (var i = 0; i + 9 <= id.Length; i++)
        {
            if (id[i] == '-' && (i + 9 == id.Length || id[i + 9] is '-' or ':' or '@') && id.AsSpan(i + 1, 8).ContainsAnyExceptInRange('0', '9') is false
                && id[i + 1] == '2' && id[i + 2] == '0')
            {
                return $"{id[..(i + 5)]}-{id.Substring(i + 5, 2)}-{id[(i + 7)..]}";
            }
        }

        return null;
    }

    /// <summary>One remembered lookup: an id exactly as it was spelled, and its price (<see langword="null"/> when unknown).</summary>
    private sealed record LastLookup(string ModelId, ModelPrice? Price);
}
