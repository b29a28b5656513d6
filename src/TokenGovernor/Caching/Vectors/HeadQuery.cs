namespace TokenGovernor;

/// <summary>A query's int8 head for <see cref="VectorMath.HeadBounds"/>: its scale, an upper bound on its quantisation error
/// ‖q₁ − s·a‖ and an upper bound on its norm ‖q₁‖.</summary>
internal readonly record struct HeadQuery(float Scale, float Error, float Norm);
