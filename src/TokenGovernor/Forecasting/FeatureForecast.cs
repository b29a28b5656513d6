namespace TokenGovernor;

/// <summary>One feature's (or the total's) run-rate, projections and cost per outcome.</summary>
/// <param name="Feature">The feature, or <c>(total)</c>.</param>
/// <param name="HistorySpend">USD spent over the whole history.</param>
/// <param name="DailyRunRate">Average USD per day over the run-rate window.</param>
/// <param name="MonthlyRunRate">The daily run-rate times 30.44 days.</param>
/// <param name="Outcomes">Outcomes over the history, when any were recorded and they are all of one kind (see <see cref="DailySpend.OutcomeKind"/>).</param>
/// <param name="CostPerOutcome">USD per outcome over the history, when <paramref name="Outcomes"/> is given and not zero.</param>
/// <param name="Projections">Spend over each horizon under each scenario.</param>
internal sealed record FeatureForecast(string Feature, decimal HistorySpend, decimal DailyRunRate, decimal MonthlyRunRate, long? Outcomes,
    decimal? CostPerOutcome, IReadOnlyList<ScenarioProjection> Projections)
{
    /// <summary>Gets the named kind of <see cref="Outcomes"/>, when the rows named one.</summary>
    public string? OutcomeKind { get; init; }

    /// <summary>Gets a value indicating whether outcomes were recorded but not added up because they are of different kinds
    /// (for the total: support tickets of one feature and coding tasks of another).</summary>
    public bool OutcomeKindsDiffer { get; init; }
}
