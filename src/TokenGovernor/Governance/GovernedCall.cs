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
    /// <summary>
    /// The non-streaming protocol. When the layer's decision, the inner call and the layer's completion all finish synchronously
    /// (an in-memory provider, a fake, an answer already at hand) it runs without an async state machine and returns the inner
    /// call's own completed task, whose response carries the record; at the first step that is still pending it continues in
    /// <see cref="AdmitThenSendAsync"/>, <see cref="SendThenCompleteAsync"/> or <see cref="CompleteThenFinishAsync"/>, which do exactly
    /// what is left. Exceptions end in the returned task either way, never thrown to the caller.
    /// </summary>
    public static Task<ChatResponse> GetResponseAsync<TLayer, TState>(
        TLayer layer, IChatClient inner, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
        where TLayer : IGovernedLayer<TState>
    {
        var entered = default(GovernanceContext.Entered<GovernanceContext?>);
        GovernanceContext context;
        bool owner;
        Admission<TState> admission;
        GovernanceContext.MeteredMark mark;
        Task<ChatResponse> sending;
        try
        {
            context = Begin(layer.Services.Time, messages, options, streaming: false, out owner, out var list);

            // The context is current once, around the decision and the call inward (each AsyncLocal write copies the execution
            // context). A continuation started while it is current carries it on; this method always restores the caller's before
            // it returns, as an async method's builder would. An owner with nothing below that reads it keeps it private.
            if (!owner || layer.SharesContext)
            {
                entered = GovernanceContext.Enter(context);
            }
            var admitting = layer.AdmitAsync(context, list, options, cancellationToken);
            if (!admitting.IsCompletedSuccessfully)
            {
                var rest = AdmitThenSendAsync<TLayer, TState>(layer, inner, context, owner, admitting, entered, cancellationToken);
                entered.Dispose();
                return rest;
            }

            admission = admitting.Result; // read once: a ValueTask's result may be taken only once
            if (admission.Answer is not null)
            {
                var rest = AdmitThenSendAsync<TLayer, TState>(layer, inner, context, owner, new(admission), entered, cancellationToken);
                entered.Dispose();
                return rest;
            }

            mark = context.Mark();
            sending = Send<TLayer, TState>(layer, inner, context, admission, cancellationToken);
            if (!sending.IsCompletedSuccessfully)
            {
                var rest = SendThenCompleteAsync<TLayer, TState>(layer, context, owner, admission, mark, sending, entered, cancellationToken);
                entered.Dispose();
                return rest;
            }
        }
        catch (Exception ex)
        {
            entered.Dispose();
            return FailedAsync(ex);
        }

        entered.Dispose();
        var response = sending.Result;
        try
        {
            var completing = layer.CompleteAsync(context, admission,
                new CallOutcome(response, null, completed: true, received: true, cancelled: false, context.Since(mark)));
            if (!completing.IsCompletedSuccessfully)
            {
                return CompleteThenFinishAsync<TLayer, TState>(layer, context, owner, response, completing);
            }

            completing.GetAwaiter().GetResult();
            if (owner)
            {
                response.SetGovernance(context.Finish(layer.Services.Time.GetUtcNow()));
            }
        }
        catch (Exception ex)
        {
            return FailedAsync(ex);
        }

        return sending;
    }

    /// <summary>The rest of the protocol from a decision still pending (or one that answers here); the context is current.</summary>
    private static async Task<ChatResponse> AdmitThenSendAsync<TLayer, TState>(TLayer layer, IChatClient inner, GovernanceContext context, bool owner,
        ValueTask<Admission<TState>> admitting, GovernanceContext.Entered<GovernanceContext?> entered, CancellationToken cancellationToken)
        where TLayer : IGovernedLayer<TState>
    {
        Admission<TState> admission;
        try
        {
            admission = await admitting.ConfigureAwait(false);
        }
        catch
        {
            entered.Dispose();
            throw;
        }

        if (admission.Answer is { } answer)
        {
            entered.Dispose();
            if (owner)
            {
                answer.SetGovernance(context.Finish(layer.Services.Time.GetUtcNow()));
            }

            return answer;
        }

        var mark = context.Mark();
        return await SendThenCompleteAsync<TLayer, TState>(layer, context, owner, admission, mark, Send<TLayer, TState>(layer, inner, context, admission, cancellationToken),
            entered, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The rest of the protocol from an inner call still pending (or failed); the context is current until it ends.</summary>
    private static async Task<ChatResponse> SendThenCompleteAsync<TLayer, TState>(TLayer layer, GovernanceContext context, bool owner, Admission<TState> admission,
        GovernanceContext.MeteredMark mark, Task<ChatResponse> sending, GovernanceContext.Entered<GovernanceContext?> entered, CancellationToken cancellationToken)
        where TLayer : IGovernedLayer<TState>
    {
        ChatResponse response;
        try
        {
            response = await sending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            entered.Dispose();
            await layer.CompleteAsync(context, admission,
                new CallOutcome(null, ex, completed: false, received: false, cancellationToken.IsCancellationRequested, context.Since(mark))).ConfigureAwait(false);
            FinishFailed(layer.Services.Time, context, owner);
            throw;
        }

        entered.Dispose();
        await layer.CompleteAsync(context, admission,
            new CallOutcome(response, null, completed: true, received: true, cancelled: false, context.Since(mark))).ConfigureAwait(false);
        if (owner)
        {
            response.SetGovernance(context.Finish(layer.Services.Time.GetUtcNow()));
        }

        return response;
    }

    /// <summary>The rest of the protocol from a layer's completion still pending.</summary>
    private static async Task<ChatResponse> CompleteThenFinishAsync<TLayer, TState>(TLayer layer, GovernanceContext context, bool owner, ChatResponse response,
        ValueTask completing)
        where TLayer : IGovernedLayer<TState>
    {
        await completing.ConfigureAwait(false);
        if (owner)
        {
            response.SetGovernance(context.Finish(layer.Services.Time.GetUtcNow()));
        }

        return response;
    }

    /// <summary>Sends inward; an inner client that throws instead of returning a faulted task fails the same way.</summary>
    private static Task<ChatResponse> Send<TLayer, TState>(TLayer layer, IChatClient inner, GovernanceContext context, Admission<TState> admission,
        CancellationToken cancellationToken)
        where TLayer : IGovernedLayer<TState>
    {
        try
        {
            return layer.SendAsync(inner, context, admission, cancellationToken);
        }
        catch (Exception ex)
        {
            return Task.FromException<ChatResponse>(ex);
        }
    }

    /// <summary>A task failed with <paramref name="exception"/> exactly as an async method's would be (an
    /// <see cref="OperationCanceledException"/> cancels it), its stack trace kept.</summary>
    private static async Task<ChatResponse> FailedAsync(Exception exception)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception);
        return null!;
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

        // A List (what callers almost always pass) is read as a span: no interface call per message, and a plain null test per
        // element (Span.IndexOf of a class that is not IEquatable goes through the default comparer, a virtual call each).
        var nullAt = messages is List<ChatMessage> list ? IndexOfNull(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list)) : IndexOfNull(messages);
        if (nullAt >= 0)
        {
            throw new ArgumentException($"The message list holds null at index {nullAt}; remove it or pass a ChatMessage.", nameof(messages));
        }

        if (options?.MaxOutputTokens is { } max && max <= 0)
        {
            throw new ArgumentException($"ChatOptions.MaxOutputTokens is {max}; it must be positive, or null for the model's limit.", nameof(options));
        }
    }

    private static int IndexOfNull(ReadOnlySpan<ChatMessage> messages)
    {
        for (var i = 0; i < messages.Length; i++)
        {
            if (messages[i] is null)
            {
                return i;
            }
        }

        return -1;
    }

    private static int IndexOfNull(IList<ChatMessage> messages)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i] is null)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>A call that failed or was abandoned after it spent still reaches the sinks (no response carries its record).</summary>
    private static void FinishFailed(TimeProvider time, GovernanceContext context, bool owner)
    {
        if (owner && (context.ProviderCalls > 0 || context.CacheCost > 0m))
        {
            context.Finish(time.GetUtcNow());
        }
    }

    private static GovernanceContext.Entered<GovernanceContext?> EnterIf(bool share, GovernanceContext context) => share ? GovernanceContext.Enter(context) : default;

    private static async IAsyncEnumerable<ChatResponseUpdate> StreamAsync<TLayer, TState>(
        TLayer layer, IChatClient inner, IList<ChatMessage> messages, ChatOptions? options, GovernanceContext context, bool owner,
        [EnumeratorCancellation] CancellationToken cancellationToken)
        where TLayer : IGovernedLayer<TState>
    {
        Admission<TState> admission;
        var share = !owner || layer.SharesContext;
        using (EnterIf(share, context))
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
                    using (EnterIf(share, context))
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
                using (EnterIf(share, context))
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
