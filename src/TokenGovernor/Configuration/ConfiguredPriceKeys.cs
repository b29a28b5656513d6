namespace TokenGovernor;

/// <summary>
/// The keys of one model under <c>TokenGovernor:Prices:&lt;model&gt;</c>, as <c>PriceCatalogBuilder.ReadConfiguredPrice</c>
/// reads them (per-million prices named as in price files, not as <see cref="ModelPrice"/>'s properties). Only its shape is used:
/// the unknown-key check reflects over it.
/// </summary>
internal sealed class ConfiguredPriceKeys
{
    public decimal Input { get; set; }

    public decimal Output { get; set; }

    public decimal? CachedInput { get; set; }

    public decimal? CacheWrite { get; set; }

    public decimal? Reasoning { get; set; }

    public int? ContextWindow { get; set; }

    public int? MaxOutputTokens { get; set; }

    public string? Provider { get; set; }

    public string? Source { get; set; }

    public ConfiguredLongContextKeys? LongContext { get; set; }
}

/// <summary>The keys of <c>TokenGovernor:Prices:&lt;model&gt;:LongContext</c>.</summary>
internal sealed class ConfiguredLongContextKeys
{
    public int ThresholdTokens { get; set; }

    public decimal Input { get; set; }

    public decimal Output { get; set; }

    public decimal? CachedInput { get; set; }

    public decimal? CacheWrite { get; set; }

    public decimal? Reasoning { get; set; }
}
