namespace TokenGovernor;

/// <summary>What a <see cref="BudgetAlert"/> reports.</summary>
public enum BudgetAlertKind
{
    /// <summary>A budget crossed one of its soft thresholds (<see cref="BudgetPolicy.SoftThresholds"/>); raised once per threshold per window.</summary>
    ThresholdCrossed,

    /// <summary>The budget layer refused a call (budget exhausted, cache-only, or the ledger unavailable).</summary>
    Refused,
}
