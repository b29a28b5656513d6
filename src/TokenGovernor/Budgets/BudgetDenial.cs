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

    /// <summary>Gets the limit that refused the call (US dollars, or tokens when <see cref="IsTokenLimit"/>).</summary>
    public decimal Limit { get; init; }

    /// <summary>Gets what the window has spent so far.</summary>
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
