using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>One way to reach a model: its id, and the client that serves it (or <see langword="null"/> for the router's inner client).</summary>
/// <param name="ModelId">The model id sent in <c>ChatOptions.ModelId</c>.</param>
/// <param name="Client">The client for this deployment (another provider or region), or <see langword="null"/>. When given, it is
/// called as it is: build it with <c>UseCostMetering()</c> so its calls are metered.</param>
public sealed record ModelDeployment(string ModelId, IChatClient? Client = null);
