namespace TokenGovernor;

/// <summary>The state of one budget (one policy and key) in its current window.</summary>
public sealed record BudgetUsage
{
    /// <summary>Gets the policy.</summary>
    public required BudgetPolicy Policy { get; init; }

    /// <summary>Gets the budget key (empty for a global policy).</summary>
    public required string Key { get; init; }

    /// <summary>Gets when the current window started (for sliding windows: now minus the window length).</summary>
    public DateTimeOffset? WindowStart { get; init; }

    /// <summary>Gets when the current window ends, or <see langword="null"/> for lifetime budgets.</summary>
    public DateTimeOffset? WindowResetsAt { get; init; }

    /// <summary>Gets the cost settled in the window, in US dollars.</summary>
    public decimal SpentCost { get; init; }

    /// <summary>Gets the cost reserved by calls in flight.</summary>
    public decimal ReservedCost { get; init; }

    /// <summary>Gets the tokens settled in the window.</summary>
    public long SpentTokens { get; init; }

    /// <summary>Gets the tokens reserved by calls in flight.</summary>
    public long ReservedTokens { get; init; }

    /// <summary>Gets the requests admitted in the window (calls in flight included, released ones not), counted for every policy
    /// whether or not it sets <see cref="BudgetPolicy.RequestLimit"/>.</summary>
    public long Requests { get; init; }

    /// <summary>Gets (spent + reserved) / limit of the tighter of the cost and token limits. Request counts are not part of it
    /// (see <see cref="BudgetPolicy.RequestLimit"/>).</summary>
    public double Utilization { get; init; }

    /// <summary>Gets how far the window's spend went past its cost limit (optimistic mode, or calls that cost more than they reserved).</summary>
    public decimal Overspend { get; init; }
}
