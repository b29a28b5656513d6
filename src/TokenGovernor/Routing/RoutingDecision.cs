namespace TokenGovernor;

/// <summary>What routing decided for one call.</summary>
/// <param name="RequestedModelId">The model the caller asked for.</param>
/// <param name="Tier">The tier that answered.</param>
/// <param name="ModelId">The model that answered.</param>
/// <param name="Score">The complexity score.</param>
/// <param name="Reasons">Why: classifier signals and routing rules applied (<c>pinned</c>, <c>budget-pressure</c>, <c>context-fit</c>,
/// <c>reasoning-gated</c>, <c>escalated:…</c>, <c>failover:…</c>).</param>
/// <param name="Escalations">How many times the call moved one tier up.</param>
/// <param name="TopTierCost">What the same usage would have cost on the top tier's first model (the savings baseline).</param>
public sealed record RoutingDecision(string? RequestedModelId, string Tier, string ModelId, double Score, IReadOnlyList<string> Reasons, int Escalations, decimal TopTierCost);
