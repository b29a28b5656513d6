using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// What a governed decorator decides before and after the inner call. <see cref="GovernedCall"/> owns everything else of the
/// per-call protocol (input checks, joining or creating the <see cref="GovernanceContext"/>, entering it around every inner
/// step, marking what was metered, attaching the one record), for streaming and non-streaming calls alike.
/// </summary>
/// <typeparam name="TState">What the layer carries from <see cref="AdmitAsync"/> to <see cref="CompleteAsync"/> for one call.</typeparam>
internal interface IGovernedLayer<TState> : IGovernanceContextReader
{
    /// <summary>Gets the services the layer shares with the rest of its pipeline (clock, catalog, …).</summary>
    GovernanceServices Services { get; }

    /// <summary>
    /// Gets a value indicating whether the context must be current while this layer decides, sends and completes a call it owns:
    /// true when the layer's own helpers or anything below it reads the context (see <see cref="IGovernanceContextReader"/>).
    /// A joined context is current already, whatever this says.
    /// </summary>
    bool SharesContext => true;

    /// <summary>Decides before the call: what to send inward, or a response that answers the call here (a cache hit, a fallback).</summary>
    ValueTask<Admission<TState>> AdmitAsync(GovernanceContext context, IList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken);

    /// <summary>Sends an admitted call inward; the context is current. Override to make several attempts (routing).</summary>
    Task<ChatResponse> SendAsync(IChatClient inner, GovernanceContext context, Admission<TState> admission, CancellationToken cancellationToken) =>
        inner.GetResponseAsync(admission.Messages, admission.Options, cancellationToken);

    /// <summary>Sends an admitted streaming call inward; the context is current around every step of the returned stream.</summary>
    IAsyncEnumerable<ChatResponseUpdate> SendStreamingAsync(IChatClient inner, GovernanceContext context, Admission<TState> admission, CancellationToken cancellationToken) =>
        inner.GetStreamingResponseAsync(admission.Messages, admission.Options, cancellationToken);

    /// <summary>Records the outcome of an admitted call: success, failure, or a stream that ended early. Runs exactly once per admitted call.</summary>
    ValueTask CompleteAsync(GovernanceContext context, Admission<TState> admission, CallOutcome outcome);
}
