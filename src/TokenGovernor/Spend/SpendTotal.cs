namespace TokenGovernor;

/// <summary>One group of a <see cref="SpendQuery"/>: the key columns asked for (others are <see langword="null"/>) and the sums.</summary>
public sealed record SpendTotal
{
    /// <summary>Gets the tenant, when grouped by tenant (empty string for calls without one).</summary>
    public string? Tenant { get; init; }

    /// <summary>Gets the feature, when grouped by feature (empty string for calls without one).</summary>
    public string? Feature { get; init; }

    /// <summary>Gets the model that answered, when grouped by model (empty string when unknown).</summary>
    public string? Model { get; init; }

    /// <summary>Gets the UTC day, when grouped by day.</summary>
    public DateOnly? Day { get; init; }

    /// <summary>Gets the number of records (provider calls and cache hits).</summary>
    public long Calls { get; init; }

    /// <summary>Gets the cost, in US dollars.</summary>
    public decimal Cost { get; init; }

    /// <summary>Gets the cost cache hits avoided, in US dollars.</summary>
    public decimal CostAvoided { get; init; }

    /// <summary>Gets the input tokens (uncached, cached and cache writes).</summary>
    public long InputTokens { get; init; }

    /// <summary>Gets the output tokens (reasoning included).</summary>
    public long OutputTokens { get; init; }
}
