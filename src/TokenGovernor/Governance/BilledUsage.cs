namespace TokenGovernor;

/// <summary>
/// The usage and cost a call was billed, as one immutable value: the <see cref="GovernanceContext"/> keeps it as calls are
/// metered and the <see cref="GovernanceRecord"/> built from that context shares the same instance instead of copying both.
/// </summary>
/// <param name="Usage">The billed token usage.</param>
/// <param name="Cost">The cost of that usage.</param>
internal sealed record BilledUsage(TokenUsage Usage, CostBreakdown Cost)
{
    /// <summary>Gets the shared instance of no usage and no cost.</summary>
    public static BilledUsage Zero { get; } = new(default, default);
}
