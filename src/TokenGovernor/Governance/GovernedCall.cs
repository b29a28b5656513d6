using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// The per-call protocol of every governed decorator, written once for both paths (a template method over
/// <see cref="IGovernedLayer{TState}"/>):
/// <list type="number">
/// <item>check the input (the outermost governed layer only, before anything is reserved or sent);</item>
/// <item>join the call's <see cref="GovernanceContext"/>, or create it when this is the outermost governed layer (the owner);</item>
/// <item>let the layer decide (<see cref="IGovernedLayer{TState}.AdmitAsync"/>): send inward, or answer here;</item>
/// <item>mark what was metered, send inward with the context current, and, for a stream, re-enter the context around
/// <em>every</em> <c>MoveNextAsync</c> and <c>DisposeAsync</c> of the inner stream, so a foreign decorator between layers (M.E.AI's
/// <c>UseOpenTelemetry</c> or <c>UseLogging</c>, a user's async iterator) cannot split the call;</item>
/// <item>let the layer record the outcome (<see cref="IGovernedLayer{TState}.CompleteAsync"/>), exactly once: success, failure,
/// cancellation, or a stream abandoned part-way;</item>
/// <item>the owner attaches the one <see cref="GovernanceRecord"/>: on the response, or as the last update of a completed stream.</item>
/// </list>
/// </summary>
internal static class GovernedCall
{
    public static async Task<ChatResponse> GetResponseAsync<TLayer, TState>(
        TLayer layer, IChatClient inner, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
        where TLayer : IGovernedLayer<TState>
    {
        var context = Begin(layer.Services.Time, messages, options, streaming: false, out var owner, out var list);
        Admission<TState> admission;
        GovernanceContext.MeteredMark mark;
        ChatResponse response;

        // The context is current once, around the decision and the call inward (each AsyncLocal write copies the execution context).
        var entered = GovernanceContext.Enter(context);
        try
        {
            admission = await layer.AdmitAsync(context, list, options, cancellationToken).ConfigureAwait(false);
            if (admission.Answer is { } answer)
            {
                entered.Dispose();
                entered = default;
                if (owner)
                {
                    answer.SetGovernance(context.Finish(layer.Services.Time.GetUtcNow()));
                }

                return answer;
            }

            mark = context.Mark();
            try
            {
                response = await layer.SendAsync(inner, context, admission, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                entered.Dispose();
                entered = default;
                await layer.CompleteAsync(context, admission,
                    new CallOutcome(null, ex, completed: false, received: false, cancellationToken.IsCancellationRequested, context.Since(mark))).ConfigureAwait(false);
                FinishFailed(layer.Services.Time, context, owner);
                throw;
            }
        }
        finally
        {
            entered.Dispose();
        }

        await layer.CompleteAsync(context, admission,
            new CallOutcome(response, null, completed: true, received: true, cancelled: false, context.Since(mark))).ConfigureAwait(false);
        if (owner)
        {
            response.SetGovernance(context.Finish(layer.Services.Time.GetUtcNow()));
        }

        return response;
    }

    public static IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync<TLayer, TState>(
        TLayer layer, IChatClient inner, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
        where TLayer : IGovernedLayer<TState>
    {
        // Checked and joined now, not on the first MoveNextAsync: bad input throws at the call, and the context joined is the
        // one current where the caller (or a foreign decorator re-entered by the layer above) asked for the stream.
        var context = Begin(layer.Services.Time, messages, options, streaming: true, out var owner, out var list);
        return StreamAsync<TLayer, TState>(layer, inner, list, options, context, owner, cancellationToken);
    }

    private static GovernanceContext Begin(TimeProvider time, IEnumerable<ChatMessage> messages, ChatOptions? options, bool streaming, out bool owner,
        out IList<ChatMessage> list)
    {
        ArgumentNullException.ThrowIfNull(messages);
        list = messages as IList<ChatMessage> ?? messages.ToList();
        var context = GovernanceContext.JoinOrCreate(options, time, streaming, out owner);
        if (owner)
        {
            CheckInput(list, options);
        }

        return context;
    }

    /// <summary>Bad input fails here, with the argument named, before any layer reserves, caches or sends anything.</summary>
    internal static void CheckInput(IList<ChatMessage> messages, ChatOptions? options)
    {
        if (messages.Count == 0)
        {
            throw new ArgumentException("The message list is empty; send at least one message.", nameof(messages));
        }

        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is null)
            {
                throw new ArgumentException($"The message list holds null at index {i}; remove it or pass a ChatMessage.", nameof(messages));
            }
        }

        if (options?.MaxOutputTokens is { } max && max <= 0)
        {
            throw new ArgumentException($"ChatOptions.MaxOutputTokens is {max}; it must be positive, or null for the model's limit.", nameof(options));
        }
    }

    /// <summary>A call that failed or was abandoned after it spent still reaches the sinks (no response carries its record).</summary>
    private static void FinishFailed(TimeProvider time, GovernanceContext context, bool owner)
    {
        if (owner && (context.ProviderCalls > 0 || context.CacheCost > 0m))
        {
            context.Finish(time.GetUtcNow());
        }
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> StreamAsync<TLayer, TState>(
        TLayer layer, IChatClient inner, IList<ChatMessage> messages, ChatOptions? options, GovernanceContext context, bool owner,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TLayer : IGovernedLayer<TState>
    {
        Admission<TState> admission;
        using (GovernanceContext.Enter(context))
        {
            admission = await layer.AdmitAsync(context, messages, options, cancellationToken).ConfigureAwait(false);
        }

        if (admission.Answer is { } answer)
        {
            foreach (var update in answer.ToChatResponseUpdates())
            {
                yield return update;
            }

            if (owner)
            {
                yield return GovernanceExtensions.CreateGovernanceUpdate(context.Finish(layer.Services.Time.GetUtcNow()), answer.ResponseId, answer.ModelId);
            }

            yield break;
        }

        var mark = context.Mark();
        var updates = admission.CollectStream ? new List<ChatResponseUpdate>() : null;
        IAsyncEnumerator<ChatResponseUpdate>? stream = null;
        string? responseId = null, modelId = null;
        var completed = false;
        var received = false;
        Exception? failure = null;
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    using (GovernanceContext.Enter(context))
                    {
                        // Asked for inside the try: a client that throws when asked for its stream (not on the first MoveNextAsync)
                        // still ends in CompleteAsync.
                        stream ??= layer.SendStreamingAsync(inner, context, admission, cancellationToken).GetAsyncEnumerator(cancellationToken);
                        more = await stream.MoveNextAsync().ConfigureAwait(false);
                    }
                }
                catch (Exception ex)
                {
                    failure = ex;
                    throw;
                }

                if (!more)
                {
                    break;
                }

                var update = stream.Current;
                received = true;
                responseId ??= update.ResponseId;
                modelId ??= update.ModelId;
                updates?.Add(update);
                yield return update;
            }

            completed = true;
        }
        finally
        {
            // Completion, provider error, cancellation, and a consumer that stops early (DisposeAsync) all end here, once.
            if (stream is not null)
            {
                using (GovernanceContext.Enter(context))
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                }
            }

            await layer.CompleteAsync(context, admission, new CallOutcome(updates?.ToChatResponse(), failure, completed, received,
                cancellationToken.IsCancellationRequested, context.Since(mark))).ConfigureAwait(false);
            if (!completed)
            {
                FinishFailed(layer.Services.Time, context, owner);
            }
        }

        if (owner)
        {
            yield return GovernanceExtensions.CreateGovernanceUpdate(context.Finish(layer.Services.Time.GetUtcNow()), responseId, modelId);
        }
    }
}
