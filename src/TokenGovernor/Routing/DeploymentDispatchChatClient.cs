using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// The bottom of a governed pipeline, directly above the provider: sends a call to the deployment routing chose for it when that
/// deployment has its own <see cref="IChatClient"/>, else to the provider. Because it sits <em>below</em> budgets and metering,
/// every attempt on every deployment (first try, failover, escalation) is reserved, settled and metered like any other call.
/// </summary>
internal sealed class DeploymentDispatchChatClient(IChatClient provider) : DelegatingChatClient(provider)
{
    /// <summary>Puts a dispatcher above <paramref name="inner"/> unless one is already below it.</summary>
    public static IChatClient Wrap(IChatClient inner) =>
        inner.GetService<DeploymentDispatchChatClient>() is null ? new DeploymentDispatchChatClient(inner) : inner;

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Target(options).GetResponseAsync(messages, options, cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        Target(options).GetStreamingResponseAsync(messages, options, cancellationToken);

    // The deployment is taken, not read: a dispatcher inside the deployment's own client (one built with UseCostMetering)
    // then sends to its provider instead of back to the same client.
    private IChatClient Target(ChatOptions? options)
    {
        if (GovernanceContext.Current is { Deployment: { Client: { } client } deployment } context &&
            string.Equals(deployment.ModelId, options?.ModelId, StringComparison.Ordinal))
        {
            context.Deployment = null;
            return client;
        }

        return InnerClient;
    }
}
