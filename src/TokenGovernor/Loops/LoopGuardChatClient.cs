using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenGovernor;

/// <summary>
/// A delegating chat client that keeps agent runs bounded: per-run limits on model calls, tokens, cost, tool calls and wall time,
/// a graceful wrap-up call before the hard stop, detection of repeated tool calls, repeated assistant messages and repeated tool
/// errors, retry-storm detection, and a cost circuit breaker per session.
/// </summary>
/// <remarks>
/// <para>Place it <em>inside</em> M.E.AI's <c>FunctionInvokingChatClient</c> (after <c>UseFunctionInvocation()</c> in the builder) so
/// every tool round trip passes through it; it works as well under a hand-written agent loop. A run is identified by
/// <see cref="GovernanceScope.Run"/>; calls without one are only subject to the retry-storm detector and the circuit breaker
/// (keyed by session, else tenant).</para>
/// <para>Near a limit (<see cref="LoopGuardOptions.WrapUpAt"/>) the next call is sent without tools and with an instruction to
/// conclude; at a limit the run stops with <see cref="AgentLimitExceededException"/> (or <see cref="LoopGuardOptions.FinalResponse"/>).
/// A tool called again with the same canonical JSON arguments <see cref="LoopGuardOptions.DuplicateCallThreshold"/> times gets a
/// note telling the model it repeats itself; two more repeats stop the run. Time comes from the <see cref="TimeProvider"/>.
/// Thread-safe; parallel runs never share counters.</para>
/// </remarks>
public sealed class LoopGuardChatClient : DelegatingChatClient, IGovernedLayer<LoopGuardChatClient.Call>
{
    private readonly LoopGuardOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GovernanceServices _services;
    private readonly RunTracker _runs;
    private readonly RetryStormDetector _retryStorms;
    private readonly CostCircuitBreaker _circuits;

    /// <summary>Initializes a new loop guard.</summary>
    /// <param name="innerClient">The client below (cache, routing, budgets, metering, provider).</param>
    /// <param name="options">The options (copied), or <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    public LoopGuardChatClient(IChatClient innerClient, LoopGuardOptions? options = null, TimeProvider? timeProvider = null, ILogger? logger = null)
        : base(innerClient)
    {
        _options = (options ?? new LoopGuardOptions()).Clone();
        OptionsValidation.ThrowIfInvalid(new LoopGuardOptionsValidator(), _options);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _services = new GovernanceServices(time: _time);
        _runs = new RunTracker(_options);
        _retryStorms = new RetryStormDetector(_options);
        _circuits = new CostCircuitBreaker(_options, Raise);
    }

    /// <summary>Raised on every cost circuit breaker transition.</summary>
    public event EventHandler<CircuitStateChangedEventArgs>? CircuitStateChanged;

    /// <summary>Gets the state of the cost circuit breaker for a scope key (session, else tenant).</summary>
    /// <param name="scopeKey">The key.</param>
    /// <returns>The state.</returns>
    public CircuitState GetCircuitState(string scopeKey)
    {
        ArgumentNullException.ThrowIfNull(scopeKey);
        return _circuits.GetState(scopeKey, _time.GetUtcNow());
    }

    /// <summary>Gets how many runs, and how many sessions or tenants with failure history or a circuit, the guard holds state for.</summary>
    internal (int Runs, int FailureScopes, int CircuitScopes) TrackedCounts => (_runs.Count, _retryStorms.TrackedScopes, _circuits.TrackedScopes);

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GovernedCall.GetResponseAsync<LoopGuardChatClient, Call>(this, InnerClient, messages, options, cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GovernedCall.GetStreamingResponseAsync<LoopGuardChatClient, Call>(this, InnerClient, messages, options, cancellationToken);

    GovernanceServices IGovernedLayer<Call>.Services => _services;

    ValueTask<Admission<Call>> IGovernedLayer<Call>.AdmitAsync(GovernanceContext context, IList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var call = Prepare(messages, options, context);
        return new(call.Final is { } final ? Admission<Call>.Answered(final, call) : Admission<Call>.Send(call.Messages, call.Options, call, collectStream: true));
    }

    ValueTask IGovernedLayer<Call>.CompleteAsync(GovernanceContext context, Admission<Call> admission, CallOutcome outcome)
    {
        // What came back counts, partial streams too: the steps, tokens and calls they used are spent.
        if (outcome.Received && outcome.Response is { } response)
        {
            Completed(admission.State, context, outcome.Metered, response.Messages, response.Usage);
        }

        // A failure the caller did not ask for (its own cancellation is not one) feeds the retry-storm detector.
        if (outcome.Failure is not null && !outcome.Cancelled)
        {
            Failed(admission.State);
        }

        return default;
    }

    private Call Prepare(IList<ChatMessage> messages, ChatOptions? options, GovernanceContext context)
    {
        var scope = context.Scope;
        var now = _time.GetUtcNow();
        var breakerKey = scope.Session ?? scope.Tenant;
        if (breakerKey is not null)
        {
            try
            {
                CheckRetryStorm(breakerKey, now);
                _circuits.Admit(breakerKey, now);
            }
            catch (Exception ex) when (_options.Shadow && ex is AgentLimitExceededException or CostCircuitOpenException)
            {
                context.AddShadow(ex is CostCircuitOpenException ? "loop:circuit-open" : "loop:stopped:retry-storm");
            }
        }

        if (scope.Run is not { } runKey)
        {
            return new Call(messages, options, null, breakerKey, null);
        }

        var run = _runs.Get(runKey, now);

        string? note;
        bool wrapUp;
        lock (run)
        {
            run.LastActive = now;
            run.CountToolErrors(_options, messages);
            if (run.HardLimit(_options, now) is { } hit)
            {
                if (!_options.Shadow)
                {
                    return Stop(runKey, hit.Limit, hit.Detail, breakerKey, context);
                }

                context.AddShadow("loop:stopped:" + hit.Limit);
            }
            else if (run.StopReason is { } stop)
            {
                if (!_options.Shadow)
                {
                    return Stop(runKey, stop.Limit, stop.Detail, breakerKey, context);
                }

                context.AddShadow("loop:stopped:" + stop.Limit);
            }

            wrapUp = run.Fraction(_options, now) >= _options.WrapUpAt;
            note = run.PendingNote;
            run.PendingNote = null;
        }

        if (_options.Shadow)
        {
            if (note is not null)
            {
                context.AddShadow("loop:loop-note");
            }

            if (wrapUp)
            {
                context.AddShadow("loop:wrap-up");
            }

            return new Call(messages, options, run, breakerKey, null);
        }

        if (!wrapUp && note is null)
        {
            return new Call(messages, options, run, breakerKey, null);
        }

        var adjusted = new List<ChatMessage>(messages);
        var adjustedOptions = options?.Clone() ?? new ChatOptions();
        if (note is not null)
        {
            adjusted.Add(new ChatMessage(ChatRole.User, note));
            context.AddDegradation("loop-note");
            LoopLog.Intervened(_logger, runKey, "note");
        }

        if (wrapUp)
        {
            adjusted.Add(new ChatMessage(ChatRole.User, _options.WrapUpInstruction));
            adjustedOptions.Tools = null;
            adjustedOptions.ToolMode = null;
            context.AddDegradation("wrap-up");
            LoopLog.Intervened(_logger, runKey, "wrap-up");
        }

        return new Call(adjusted, adjustedOptions, run, breakerKey, null);
    }

    private Call Stop(string runKey, string limit, string detail, string? breakerKey, GovernanceContext context)
    {
        context.AddDegradation("stopped:" + limit);
        LoopLog.Stopped(_logger, runKey, limit);
        if (_options.FinalResponse is { } final)
        {
            return new Call([], null, null, breakerKey, new ChatResponse([.. final.Messages]) { ModelId = final.ModelId, FinishReason = ChatFinishReason.Stop });
        }

        throw new AgentLimitExceededException(runKey, limit, detail);
    }

    private void Completed(Call call, GovernanceContext context, MeteredSince metered, IList<ChatMessage> responseMessages, UsageDetails? usage)
    {
        var cost = metered.Cost;
        var tokens = metered.Usage.TotalTokens;
        if (tokens == 0 && usage is not null)
        {
            tokens = (usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0);
        }

        if (call.BreakerKey is not null)
        {
            _circuits.Record(call.BreakerKey, cost, _time.GetUtcNow());
        }

        if (call.Run is not { } run)
        {
            return;
        }

        lock (run)
        {
            run.Completed(_options, call.Messages.Count, responseMessages, tokens, cost);
            context.Run = (run.Steps, run.Tokens, run.Cost);
        }
    }

    private void Failed(Call call)
    {
        if (call.BreakerKey is not null)
        {
            _retryStorms.RecordFailure(call.BreakerKey, _time.GetUtcNow());
            _circuits.Failed(call.BreakerKey);
        }
    }

    private void CheckRetryStorm(string key, DateTimeOffset now)
    {
        if (_retryStorms.Storm(key, now) is { } failures)
        {
            LoopLog.Stopped(_logger, key, "retry-storm");
            throw new AgentLimitExceededException(key, "retry-storm",
                $"{failures} calls failed within {_options.RetryStormWindow} (LoopGuardOptions.RetryStormFailures is {_options.RetryStormFailures}); back off until the failures age out.");
        }
    }

    private void Raise(CircuitStateChangedEventArgs e)
    {
        LoopLog.CircuitChanged(_logger, e.ScopeKey, e.From, e.To, e.WindowCost);
        CircuitStateChanged?.Invoke(this, e);
    }

    internal sealed record Call(IList<ChatMessage> Messages, ChatOptions? Options, RunState? Run, string? BreakerKey, ChatResponse? Final);
}
