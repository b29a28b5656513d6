namespace TokenGovernor;

/// <summary>How demanding a request is, and why.</summary>
/// <param name="Score">The complexity score in [0, 1].</param>
/// <param name="Tier">The index of the tier the score maps to (0 = cheapest).</param>
/// <param name="NeedsReasoning">Whether the request needs a reasoning model or reasoning effort.</param>
/// <param name="Signals">The signals that decided it, for example <c>length:0.31</c>, <c>code</c>, <c>math</c>, <c>multi-step</c>.</param>
public sealed record ComplexityAssessment(double Score, int Tier, bool NeedsReasoning, IReadOnlyList<string> Signals);
