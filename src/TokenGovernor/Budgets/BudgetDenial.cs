namespace TokenGovernor;

/// <summary>Which budget refused a reservation, and by how much.</summary>
public sealed record BudgetDenial
{
    /// <summary>Gets the policy whose budget had no room.</summary>
    public required BudgetPolicy Policy { get; init; }

    /// <summary>Gets the budget key (tenant, feature, … value; empty for a global policy).</summary>
    public required string Key { get; init; }

    /// <summary>Gets a value indicating whether the token limit (rather than the cost limit) refused the call.</summary>
    public bool IsTokenLimit { get; init; }

    /// <summary>Gets a value indicating whether the request limit (<see cref="BudgetPolicy.RequestLimit"/>) refused the call: the
    /// window has admitted as many calls as it allows. <see cref="Limit"/> and <see cref="Spent"/> are then request counts, and
    /// <see cref="RetryAfter"/> says when a slot frees.</summary>
    public bool IsRequestLimit { get; init; }

    /// <summary>Gets, when <see cref="IsRequestLimit"/>, how long until the window frees a request slot: the time to the end of a
    /// calendar window, or until the oldest counted request leaves a sliding window (to the precision of its 1/60th buckets);
    /// <see langword="null"/> for a lifetime window, which frees no slot with time, and for refusals by cost or tokens.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Gets the limit that refused the call (US dollars, tokens when <see cref="IsTokenLimit"/>, requests when
    /// <see cref="IsRequestLimit"/>).</summary>
    public decimal Limit { get; init; }

    /// <summary>Gets what the window has spent so far (for <see cref="IsRequestLimit"/>: the requests it has admitted, calls in flight included).</summary>
    public decimal Spent { get; init; }

    /// <summary>Gets what calls in flight have reserved.</summary>
    public decimal Reserved { get; init; }

    /// <summary>Gets what the denied call asked for.</summary>
    public decimal Requested { get; init; }

    /// <summary>Gets the room left: limit minus spent minus reserved (never negative).</summary>
    public decimal Remaining => Math.Max(0, Limit - Spent - Reserved);

    /// <summary>Gets when the window resets, or <see langword="null"/> for lifetime budgets.</summary>
    public DateTimeOffset? WindowResetsAt { get; init; }

    /// <summary>
    /// Gets a value indicating whether the call was refused because the ledger could not be reached and is configured to fail
    /// closed (for example the Redis ledger with <c>FailClosed</c>); <see cref="Limit"/>, <see cref="Spent"/> and
    /// <see cref="Reserved"/> are then zero, as they are unknown.
    /// </summary>
    public bool IsLedgerUnavailable { get; init; }

    /// <summary>
    /// Gets, when <see cref="IsLedgerUnavailable"/>, what could not be reached and which setting to change (the Redis ledger names
    /// Redis, its endpoint, the failure and <c>RedisBudgetLedgerOptions.FailurePolicy</c>); otherwise <see langword="null"/>.
    /// </summary>
    public string? Detail { get; init; }
}
