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
public sealed class PriceCatalog
{
    private const int MaxResolutionCacheEntries = 4096;
    private static readonly Lazy<PriceCatalog> s_builtIn = new(() => new PriceCatalogBuilder().AddBuiltIn().Build());

    private readonly FrozenDictionary<string, ModelPrice> _prices;
    private readonly FrozenDictionary<string, string> _aliases;
    private readonly ConcurrentDictionary<string, ModelPrice?> _resolved = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, bool> _warned = new(StringComparer.OrdinalIgnoreCase);
    private readonly ILogger _logger;

    internal PriceCatalog(
        IEnumerable<ModelPrice> prices,
        IEnumerable<KeyValuePair<string, string>> aliases,
        UnknownModelPolicy policy,
        ModelPrice? fallbackPrice,
        ILogger? logger)
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
    }

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
        if (string.IsNullOrWhiteSpace(modelId))
        {
            price = null;
            return false;
        }

        if (_prices.TryGetValue(modelId, out price))
        {
            return true;
        }

        if (_resolved.TryGetValue(modelId, out price))
        {
            return price is not null;
        }

        price = Resolve(modelId);
        if (_resolved.Count < MaxResolutionCacheEntries)
        {
            _resolved.TryAdd(modelId, price);
        }

        return price is not null;
    }

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
        // Each pass tries the id as it stands, then as an alias, then peels one layer of decoration.
        var candidate = modelId.Trim();
        for (var pass = 0; pass < 8 && candidate.Length > 0; pass++)
        {
            if (_prices.TryGetValue(candidate, out var price))
            {
                return price;
            }

            if (_aliases.TryGetValue(candidate, out var target) && _prices.TryGetValue(target, out price))
            {
                return price;
            }

            var next = ModelIdNormalizer.PeelOnce(candidate, _prices, _aliases);
            if (next is null || next.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                break;
            }

            candidate = next;
        }

        return null;
    }
}
