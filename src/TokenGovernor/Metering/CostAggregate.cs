namespace TokenGovernor;

/// <summary>Totals of the calls recorded for one tenant, feature and model.</summary>
/// <param name="Tenant">The tenant, or <see langword="null"/> for calls with none.</param>
/// <param name="Feature">The feature, or <see langword="null"/> for calls with none.</param>
/// <param name="ModelId">The model that answered (the priced model), or <see langword="null"/>.</param>
/// <param name="Calls">Provider calls metered.</param>
/// <param name="CacheHits">Calls answered from a cache (not billed).</param>
/// <param name="Usage">Summed token usage.</param>
/// <param name="Cost">Summed cost.</param>
/// <param name="CostAvoided">Cost avoided by cache hits.</param>
/// <param name="EstimatedCalls">Calls whose usage was estimated because the provider reported none.</param>
public sealed record CostAggregate(
    string? Tenant,
    string? Feature,
    string? ModelId,
    long Calls,
    long CacheHits,
    TokenUsage Usage,
    CostBreakdown Cost,
    decimal CostAvoided,
    long EstimatedCalls);
