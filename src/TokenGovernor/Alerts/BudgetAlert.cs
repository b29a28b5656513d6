namespace TokenGovernor;

/// <summary>A budget event worth telling someone about: a soft threshold crossed, or a call refused.</summary>
/// <remarks>Immutable. Delivered to every <see cref="IBudgetAlertSink"/> on the call's path, so sinks must only queue it.</remarks>
public sealed record BudgetAlert
{
    /// <summary>Gets what happened.</summary>
    public required BudgetAlertKind Kind { get; init; }

    /// <summary>Gets when it happened (from the pipeline's <see cref="TimeProvider"/>).</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>Gets the scope of the call that crossed the threshold or was refused; <see cref="GovernanceScope.Empty"/> when the ledger did not say.</summary>
    public GovernanceScope Scope { get; init; } = GovernanceScope.Empty;

    /// <summary>Gets the name of the budget policy concerned, when one is known (a refusal by the ladder names the tightest budget, a denial by the ledger names the one that denied).</summary>
    public string? Policy { get; init; }

    /// <summary>Gets the budget's key within its policy (for example the tenant's name), when known.</summary>
    public string? Key { get; init; }

    /// <summary>Gets the threshold crossed (a fraction of the limit), for <see cref="BudgetAlertKind.ThresholdCrossed"/>.</summary>
    public double? Threshold { get; init; }

    /// <summary>Gets the budget's utilization (spent + reserved over the limit) at the time, when known.</summary>
    public double? Utilization { get; init; }

    /// <summary>Gets what the budget had spent in its window (US dollars, or tokens for a token limit), when known.</summary>
    public decimal? Spent { get; init; }

    /// <summary>Gets the budget's limit (US dollars, or tokens for a token limit), when known.</summary>
    public decimal? Limit { get; init; }

    /// <summary>Gets whether <see cref="Spent"/> and <see cref="Limit"/> count tokens rather than dollars.</summary>
    public bool IsTokenLimit { get; init; }

    /// <summary>Gets whether <see cref="Spent"/> and <see cref="Limit"/> count requests (a refusal by <see cref="BudgetPolicy.RequestLimit"/>).</summary>
    public bool IsRequestLimit { get; init; }

    /// <summary>Gets, for a refusal by a request limit, how long until the window frees a slot (see <see cref="BudgetDenial.RetryAfter"/>).</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Gets the refusal reason (for example <c>budget-exhausted</c>, <c>rate-limited</c>, <c>cache-only</c>, <c>budget-ledger-unavailable</c>), for <see cref="BudgetAlertKind.Refused"/>.</summary>
    public string? Reason { get; init; }

    /// <summary>Gets when the budget's window starts again, when known.</summary>
    public DateTimeOffset? WindowResetsAt { get; init; }
}
