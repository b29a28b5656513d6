using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>One way to reach a model: its id, and the client that serves it (or <see langword="null"/> for the router's inner client).</summary>
/// <param name="ModelId">The model id sent in <c>ChatOptions.ModelId</c>.</param>
/// <param name="Client">The client for this deployment (another provider or region), or <see langword="null"/>. Give the bare
/// provider client: routing's attempts on it pass down through budgets and cost metering, and the dispatcher at the bottom of the
/// pipeline sends them to this client, so every attempt (failover and escalation included) is reserved, settled and metered. A
/// client that has its own <c>UseCostMetering()</c> is not metered twice.</param>
public sealed record ModelDeployment(string ModelId, IChatClient? Client = null);
