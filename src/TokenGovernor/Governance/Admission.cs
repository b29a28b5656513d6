using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>What a governed layer decided before the inner call.</summary>
/// <typeparam name="TState">The layer's per-call state.</typeparam>
internal readonly struct Admission<TState>
{
    private Admission(IList<ChatMessage> messages, ChatOptions? options, TState state, ChatResponse? answer, bool collect)
    {
        Messages = messages;
        Options = options;
        State = state;
        Answer = answer;
        CollectStream = collect;
    }

    /// <summary>Gets the messages to send inward.</summary>
    public IList<ChatMessage> Messages { get; }

    /// <summary>Gets the options to send inward (a clone when the layer changed them).</summary>
    public ChatOptions? Options { get; }

    /// <summary>Gets the layer's per-call state.</summary>
    public TState State { get; }

    /// <summary>Gets the response that answers the call without sending it inward, or <see langword="null"/>.</summary>
    public ChatResponse? Answer { get; }

    /// <summary>Gets a value indicating whether the layer reads the streamed response (<see cref="CallOutcome.Response"/>) when a stream ends.</summary>
    public bool CollectStream { get; }

    /// <summary>Sends the call inward.</summary>
    public static Admission<TState> Send(IList<ChatMessage> messages, ChatOptions? options, TState state, bool collectStream = false) =>
        new(messages, options, state, null, collectStream);

    /// <summary>Answers the call here, without sending it inward; <see cref="IGovernedLayer{TState}.CompleteAsync"/> is not called.</summary>
    public static Admission<TState> Answered(ChatResponse answer, TState state) => new([], null, state, answer, false);
}
