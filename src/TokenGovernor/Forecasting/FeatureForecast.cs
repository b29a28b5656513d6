namespace TokenGovernor;

/// <summary>One feature's (or the total's) run-rate, projections and cost per outcome.</summary>
/// <param name="Feature">The feature, or <c>(total)</c>.</param>
/// <param name="HistorySpend">USD spent over the whole history.</param>
/// <param name="DailyRunRate">Average USD per day over the run-rate window.</param>
/// <param name="MonthlyRunRate">The daily run-rate times 30.44 days.</param>
/// <param name="Outcomes">Outcomes over the history, when any were recorded.</param>
/// <param name="CostPerOutcome">USD per outcome over the history, when outcomes were recorded.</param>
/// <param name="Projections">Spend over each horizon under each scenario.</param>
internal sealed record FeatureForecast(string Feature, decimal HistorySpend, decimal DailyRunRate, decimal MonthlyRunRate, long? Outcomes,
    decimal? CostPerOutcome, IReadOnlyList<ScenarioProjection> Projections);
