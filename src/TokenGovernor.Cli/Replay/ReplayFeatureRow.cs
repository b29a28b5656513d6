namespace TokenGovernor.Cli;

/// <summary>One feature's cost in a recording and in its replay.</summary>
/// <param name="Feature">The feature, or <c>(none)</c>.</param>
/// <param name="Calls">Calls of the feature.</param>
/// <param name="RecordedCost">Recorded cost in USD.</param>
/// <param name="ReplayedCost">Replayed cost in USD.</param>
internal sealed record ReplayFeatureRow(string Feature, int Calls, decimal RecordedCost, decimal ReplayedCost);
