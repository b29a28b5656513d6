namespace TokenGovernor;

/// <summary>Thrown while a scope's cost circuit breaker is open: it spent more than the threshold within the window.</summary>
public sealed class CostCircuitOpenException : InvalidOperationException
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="scopeKey">The scope whose breaker is open.</param>
    /// <param name="retryAt">When the breaker lets a probe call through.</param>
    /// <param name="windowCost">What the scope spent within the window when the breaker opened.</param>
    public CostCircuitOpenException(string scopeKey, DateTimeOffset retryAt, decimal windowCost)
        : base(FormattableString.Invariant($"The cost circuit for '{scopeKey}' is open after ${windowCost} within its window; calls fail fast until {retryAt:O}."))
    {
        ScopeKey = scopeKey;
        RetryAt = retryAt;
        WindowCost = windowCost;
    }

    /// <summary>Gets the scope whose breaker is open.</summary>
    public string ScopeKey { get; }

    /// <summary>Gets when a probe call is let through.</summary>
    public DateTimeOffset RetryAt { get; }

    /// <summary>Gets what the scope spent within the window when the breaker opened.</summary>
    public decimal WindowCost { get; }
}
