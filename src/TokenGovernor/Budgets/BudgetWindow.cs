namespace TokenGovernor;

/// <summary>The period over which a <see cref="BudgetPolicy"/>'s limit applies.</summary>
public enum BudgetWindow
{
    /// <summary>A calendar minute in the policy's time zone.</summary>
    Minute = 0,

    /// <summary>A calendar hour in the policy's time zone.</summary>
    Hour = 1,

    /// <summary>A calendar day (midnight to midnight) in the policy's time zone; DST days are 23 or 25 hours long.</summary>
    Day = 2,

    /// <summary>A calendar week starting on the policy's <see cref="BudgetPolicy.FirstDayOfWeek"/>, at midnight in its time zone.</summary>
    Week = 3,

    /// <summary>A calendar month in the policy's time zone.</summary>
    Month = 4,

    /// <summary>The last <see cref="BudgetPolicy.SlidingWindow"/> (for example the last 24 hours), measured in 1/60ths of it.</summary>
    Sliding = 5,

    /// <summary>No window: the limit applies to everything ever spent (for example a trial credit).</summary>
    Lifetime = 6,
}
