namespace TokenGovernor;

/// <summary>How the semantic cache's decision performs at one similarity threshold.</summary>
/// <param name="Threshold">The similarity threshold.</param>
/// <param name="Precision">Of the pairs the cache would serve, the share that truly have the same meaning (1 when it serves none).</param>
/// <param name="Recall">Of the same-meaning pairs, the share the cache would serve.</param>
/// <param name="F1">The harmonic mean of precision and recall.</param>
internal sealed record CalibrationPoint(double Threshold, double Precision, double Recall, double F1);
