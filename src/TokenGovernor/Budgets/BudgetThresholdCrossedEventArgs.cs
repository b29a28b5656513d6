namespace TokenGovernor;

/// <summary>Describes a budget that crossed one of its soft thresholds.</summary>
/// <param name="usage">The budget's state right after the crossing settle.</param>
/// <param name="threshold">The threshold crossed (a fraction of the limit).</param>
public sealed class BudgetThresholdCrossedEventArgs(BudgetUsage usage, double threshold) : EventArgs
{
    /// <summary>Gets the budget's state right after the crossing settle.</summary>
    public BudgetUsage Usage { get; } = usage;

    /// <summary>Gets the threshold crossed.</summary>
    public double Threshold { get; } = threshold;
}
