namespace TokenGovernor;

/// <summary>How a <see cref="BudgetPolicy"/> admits concurrent calls.</summary>
public enum BudgetMode
{
    /// <summary>Each call reserves its worst case (exact prompt plus the output cap) before it is sent, so concurrent callers can
    /// never spend past the limit. The default.</summary>
    Strict = 0,

    /// <summary>Each call is admitted while the limit is not yet reached and reserves only its prompt; overspend is bounded by the
    /// calls in flight when the limit is crossed, and it is reported (<see cref="BudgetUsage.Overspend"/>).</summary>
    Optimistic = 1,
}
