using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>A routing tier: a name and the deployments that serve it, tried in order on transient errors.</summary>
/// <param name="Name">The tier's name (Small, Medium, Large, Reasoning, …).</param>
/// <param name="Deployments">The deployments, first preferred.</param>
/// <param name="IsReasoning">Whether the tier's models are reasoning models (only requests that need reasoning are sent there).</param>
public sealed record ModelTier(string Name, IReadOnlyList<ModelDeployment> Deployments, bool IsReasoning = false)
{
    /// <summary>Creates a tier served by model ids on the router's shared client.</summary>
    /// <param name="name">The tier's name.</param>
    /// <param name="modelIds">The model ids, first preferred.</param>
    /// <returns>The tier.</returns>
    public static ModelTier Of(string name, params string[] modelIds) => new(name, modelIds.Select(m => new ModelDeployment(m)).ToArray());
}
