namespace TokenGovernor;

/// <summary>One day's spend of one feature (a row of the forecaster's history).</summary>
/// <param name="Date">The day.</param>
/// <param name="Feature">The feature (scope level), or an empty string for unattributed spend.</param>
/// <param name="Spend">USD spent that day.</param>
/// <param name="Outcomes">Successful outcomes that day (resolved tickets, merged PRs…), when recorded.</param>
internal readonly record struct DailySpend(DateOnly Date, string Feature, decimal Spend, long? Outcomes = null)
{
    /// <summary>Gets what <see cref="Outcomes"/> counts (for example <c>tickets</c> or <c>merged-prs</c>), when named. Outcomes of
    /// different kinds are never added up: unnamed outcomes are of their feature's own kind, so the total adds outcomes only when
    /// every row that has them names the same kind (or they all come from one feature).</summary>
    public string? OutcomeKind { get; init; }
}
