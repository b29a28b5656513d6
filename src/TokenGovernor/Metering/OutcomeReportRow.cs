namespace TokenGovernor;

/// <summary>Cost per outcome for one feature: what successful runs cost beside everything the feature spent.</summary>
/// <param name="Feature">The feature, or <see langword="null"/> for calls with none.</param>
/// <param name="Runs">Runs with a recorded outcome.</param>
/// <param name="Successes">Runs recorded as successful.</param>
/// <param name="SpendOnSuccesses">What the successful runs cost, in US dollars.</param>
/// <param name="SpendOnFailures">What the failed runs cost.</param>
/// <param name="TotalSpend">Everything the feature spent, including calls outside recorded runs.</param>
/// <param name="CostPerSuccess">Total spend divided by successes (what one success really costs), or <see langword="null"/> with none.</param>
/// <param name="Value">The sum of the values recorded with successes.</param>
public sealed record OutcomeReportRow(
    string? Feature, int Runs, int Successes, decimal SpendOnSuccesses, decimal SpendOnFailures, decimal TotalSpend, decimal? CostPerSuccess, decimal Value);
