namespace TokenGovernor;

/// <summary>The result of <see cref="SemanticCacheCalibrator.CalibrateAsync"/>.</summary>
/// <param name="Pairs">How many labelled pairs were evaluated.</param>
/// <param name="Thresholds">Precision, recall and F1 at each threshold, ascending.</param>
/// <param name="Recommended">The lowest threshold whose precision reaches the target, or <see langword="null"/> when none does.</param>
internal sealed record CalibrationReport(int Pairs, IReadOnlyList<CalibrationPoint> Thresholds, double? Recommended);
