namespace TokenGovernor;

/// <summary>A provider's own usage block, read into the library's disjoint billable counts by <see cref="ProviderUsageParser"/>.</summary>
/// <param name="Usage">The disjoint counts, with the splits (cache-write TTL, audio, images, web searches) the block reported.</param>
public sealed record ProviderUsage(TokenUsage Usage)
{
    /// <summary>Gets the format the block was read as.</summary>
    public ProviderUsageFormat Format { get; init; }

    /// <summary>Gets the service tier the response reports (<c>flex</c>, <c>priority</c>, <c>batch</c>, <c>default</c>, <c>standard</c>),
    /// or <see langword="null"/> when it reports none. Pricing uses this, not the tier that was requested.</summary>
    public string? ServiceTier { get; init; }

    /// <summary>Gets the cost in US dollars the provider itself reported (OpenRouter's <c>cost</c>), or <see langword="null"/>.</summary>
    public decimal? ReportedCost { get; init; }

    /// <summary>Gets the model id the response names, when the parsed body carried one.</summary>
    public string? ModelId { get; init; }
}
