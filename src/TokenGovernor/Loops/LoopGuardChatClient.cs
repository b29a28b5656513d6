using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
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
    private readonly ConcurrentDictionary<string, RunState> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Queue<long>> _failures = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Circuit> _circuits = new(StringComparer.Ordinal);

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
    }

    /// <summary>Raised on every cost circuit breaker transition.</summary>
    public event EventHandler<CircuitStateChangedEventArgs>? CircuitStateChanged;

    /// <summary>Gets the state of the cost circuit breaker for a scope key (session, else tenant).</summary>
    /// <param name="scopeKey">The key.</param>
    /// <returns>The state.</returns>
    public CircuitState GetCircuitState(string scopeKey)
    {
        ArgumentNullException.ThrowIfNull(scopeKey);
        if (!_circuits.TryGetValue(scopeKey, out var circuit))
        {
            return CircuitState.Closed;
        }

        lock (circuit)
        {
            return circuit.State == CircuitState.Open && _time.GetUtcNow() >= circuit.OpenUntil ? CircuitState.HalfOpen : circuit.State;
        }
    }

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
                CheckCircuit(breakerKey, now);
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

        var run = _runs.GetOrAdd(runKey, static (_, now) => new RunState(now), now);
        if (_runs.Count > _options.MaxTrackedRuns)
        {
            ForgetOldestRuns();
        }

        string? note;
        bool wrapUp;
        lock (run)
        {
            run.LastActive = now;
            CountToolErrors(run, messages);
            if (HardLimit(run, now) is { } hit)
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

            wrapUp = Fraction(run, now) >= _options.WrapUpAt;
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

    private (string Limit, string Detail)? HardLimit(RunState run, DateTimeOffset now)
    {
        var o = _options;
        if (run.Steps >= o.MaxSteps)
        {
            return ("steps", $"It made {run.Steps} model calls; LoopGuardOptions.MaxSteps is {o.MaxSteps}.");
        }

        if (o.MaxTokens is { } maxTokens && run.Tokens >= maxTokens)
        {
            return ("tokens", $"It used {run.Tokens} tokens; LoopGuardOptions.MaxTokens is {maxTokens}.");
        }

        if (o.MaxCost is { } maxCost && run.Cost >= maxCost)
        {
            return ("cost", FormattableString.Invariant($"It cost ${run.Cost}; LoopGuardOptions.MaxCost is ${maxCost}."));
        }

        if (o.MaxToolCalls is { } maxTools && run.ToolCalls > maxTools)
        {
            return ("tool-calls", $"It requested {run.ToolCalls} tool calls; LoopGuardOptions.MaxToolCalls is {maxTools}.");
        }

        if (o.MaxWallTime is { } maxTime && now - run.Started >= maxTime)
        {
            return ("wall-time", $"It has run for {now - run.Started}; LoopGuardOptions.MaxWallTime is {maxTime}.");
        }

        return null;
    }

    private double Fraction(RunState run, DateTimeOffset now)
    {
        var o = _options;
        var f = (run.Steps + 1) / (double)o.MaxSteps;
        if (o.MaxTokens is { } t && t > 0)
        {
            f = Math.Max(f, run.Tokens / (double)t);
        }

        if (o.MaxCost is { } c && c > 0)
        {
            f = Math.Max(f, (double)(run.Cost / c));
        }

        if (o.MaxToolCalls is { } n && n > 0)
        {
            f = Math.Max(f, run.ToolCalls / (double)n);
        }

        if (o.MaxWallTime is { } w && w > TimeSpan.Zero)
        {
            f = Math.Max(f, (now - run.Started) / w);
        }

        return f;
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
            RecordCircuitCost(call.BreakerKey, cost, _time.GetUtcNow());
        }

        if (call.Run is not { } run)
        {
            return;
        }

        lock (run)
        {
            run.Steps++;
            run.Tokens += tokens;
            run.Cost += cost;
            run.MessagesSeen = call.Messages.Count;
            foreach (var message in responseMessages)
            {
                foreach (var content in message.Contents)
                {
                    if (content is FunctionCallContent fc)
                    {
                        run.ToolCalls++;
                        Repeat(run, "call:" + fc.Name + ":" + CanonicalArguments(fc.Arguments), $"You have called `{fc.Name}` with the same arguments", "duplicate-tool-call");
                    }
                }

                if (message.Role == ChatRole.Assistant && message.Text is { Length: > 0 } text)
                {
                    Repeat(run, "text:" + text.Trim(), "You have given this same reply", "repeated-message");
                }
            }

            context.Run = (run.Steps, run.Tokens, run.Cost);
        }
    }

    private void Repeat(RunState run, string signature, string what, string limit)
    {
        var count = run.Counts[signature] = run.Counts.GetValueOrDefault(signature) + 1;
        var threshold = _options.DuplicateCallThreshold;
        if (count == threshold)
        {
            run.PendingNote = $"[governor] {what} {count} times in this task; repeating it will not give a different result. Use what you already have, try a different approach, or give your final answer.";
        }
        else if (count >= threshold + 2)
        {
            run.StopReason = (limit, $"{what} {count} times, after being told it repeats (LoopGuardOptions.DuplicateCallThreshold is {threshold}).");
        }
    }

    private void CountToolErrors(RunState run, IList<ChatMessage> messages)
    {
        for (var i = Math.Min(run.MessagesSeen, messages.Count); i < messages.Count; i++)
        {
            foreach (var content in messages[i].Contents)
            {
                if (content is FunctionResultContent { Exception: not null } result)
                {
                    var key = "error:" + result.Exception.GetType().Name + ":" + result.Exception.Message;
                    var count = run.Counts[key] = run.Counts.GetValueOrDefault(key) + 1;
                    if (count == _options.RepeatedToolErrorThreshold)
                    {
                        run.PendingNote = $"[governor] The same tool error has occurred {count} times: {result.Exception.Message}. Do not retry the same call; change the arguments, use another tool, or give your final answer.";
                    }
                    else if (count >= _options.RepeatedToolErrorThreshold + 2)
                    {
                        run.StopReason = ("repeated-tool-error", $"The same tool error occurred {count} times (LoopGuardOptions.RepeatedToolErrorThreshold is {_options.RepeatedToolErrorThreshold}).");
                    }
                }
            }
        }
    }

    private void Failed(Call call)
    {
        if (call.BreakerKey is null)
        {
            return;
        }

        var queue = _failures.GetOrAdd(call.BreakerKey, static _ => new Queue<long>());
        lock (queue)
        {
            queue.Enqueue(_time.GetUtcNow().UtcTicks);
        }
    }

    private void CheckRetryStorm(string key, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var queue))
        {
            return;
        }

        lock (queue)
        {
            var oldest = now.UtcTicks - _options.RetryStormWindow.Ticks;
            while (queue.Count > 0 && queue.Peek() <= oldest)
            {
                queue.Dequeue();
            }

            if (queue.Count >= _options.RetryStormFailures)
            {
                LoopLog.Stopped(_logger, key, "retry-storm");
                throw new AgentLimitExceededException(key, "retry-storm",
                    $"{queue.Count} calls failed within {_options.RetryStormWindow} (LoopGuardOptions.RetryStormFailures is {_options.RetryStormFailures}); back off until the failures age out.");
            }
        }
    }

    private void CheckCircuit(string key, DateTimeOffset now)
    {
        if (_options.CircuitCostThreshold is null || !_circuits.TryGetValue(key, out var circuit))
        {
            return;
        }

        CircuitStateChangedEventArgs? changed = null;
        lock (circuit)
        {
            switch (circuit.State)
            {
                case CircuitState.Open when now < circuit.OpenUntil:
                    throw new CostCircuitOpenException(key, circuit.OpenUntil, circuit.TripCost);
                case CircuitState.Open:
                    circuit.State = CircuitState.HalfOpen;
                    circuit.ProbeInFlight = true;
                    changed = new CircuitStateChangedEventArgs(key, CircuitState.Open, CircuitState.HalfOpen, 0);
                    break;
                case CircuitState.HalfOpen when circuit.ProbeInFlight:
                    throw new CostCircuitOpenException(key, now, circuit.TripCost);
            }
        }

        if (changed is not null)
        {
            Raise(changed);
        }
    }

    private void RecordCircuitCost(string key, decimal cost, DateTimeOffset now)
    {
        if (_options.CircuitCostThreshold is not { } threshold)
        {
            return;
        }

        var circuit = _circuits.GetOrAdd(key, static _ => new Circuit());
        CircuitStateChangedEventArgs? changed = null;
        lock (circuit)
        {
            circuit.Window.Enqueue((now.UtcTicks, cost));
            circuit.WindowCost += cost;
            var oldest = now.UtcTicks - _options.CircuitWindow.Ticks;
            while (circuit.Window.Count > 0 && circuit.Window.Peek().Ticks <= oldest)
            {
                circuit.WindowCost -= circuit.Window.Dequeue().Cost;
            }

            var from = circuit.State;
            if (from == CircuitState.HalfOpen)
            {
                circuit.ProbeInFlight = false;
                circuit.State = circuit.WindowCost > threshold ? CircuitState.Open : CircuitState.Closed;
            }
            else if (from == CircuitState.Closed && circuit.WindowCost > threshold)
            {
                circuit.State = CircuitState.Open;
            }

            if (circuit.State != from)
            {
                var windowCost = circuit.WindowCost;
                if (circuit.State == CircuitState.Open)
                {
                    // The spend that tripped the breaker is not held against the probe after the cool-down.
                    circuit.OpenUntil = now + _options.CircuitCoolDown;
                    circuit.TripCost = windowCost;
                    circuit.Window.Clear();
                    circuit.WindowCost = 0;
                }

                changed = new CircuitStateChangedEventArgs(key, from, circuit.State, windowCost);
            }
        }

        if (changed is not null)
        {
            Raise(changed);
        }
    }

    private void Raise(CircuitStateChangedEventArgs e)
    {
        LoopLog.CircuitChanged(_logger, e.ScopeKey, e.From, e.To, e.WindowCost);
        CircuitStateChanged?.Invoke(this, e);
    }

    private void ForgetOldestRuns()
    {
        var excess = _runs.Count - _options.MaxTrackedRuns;
        if (excess <= 0)
        {
            return;
        }

        foreach (var (key, _) in _runs.OrderBy(r => r.Value.LastActive).Take(excess + (_options.MaxTrackedRuns / 10)).ToList())
        {
            _runs.TryRemove(key, out _);
        }
    }

    /// <summary>Arguments as canonical JSON: object keys sorted, no insignificant whitespace, so argument order and formatting do not hide a repeat.</summary>
    internal static string CanonicalArguments(IDictionary<string, object?>? arguments)
    {
        if (arguments is null || arguments.Count == 0)
        {
            return "{}";
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in arguments.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(key);
                WriteCanonical(writer, value switch
                {
                    null => default,
                    JsonElement e => e,
                    string s => JsonSerializer.SerializeToElement(s, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(string))),
                    _ => JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value.GetType())),
                });
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                // A JSON-encoded string that itself holds JSON (some providers double-encode arguments) is compared by content.
                var text = element.GetString()!;
                if (text.Length > 1 && text[0] is '{' or '[')
                {
                    try
                    {
                        using var inner = JsonDocument.Parse(text);
                        WriteCanonical(writer, inner.RootElement);
                        break;
                    }
                    catch (JsonException)
                    {
                    }
                }

                writer.WriteStringValue(text.Trim());
                break;
            case JsonValueKind.Undefined:
                writer.WriteNullValue();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }

    internal sealed record Call(IList<ChatMessage> Messages, ChatOptions? Options, RunState? Run, string? BreakerKey, ChatResponse? Final);

    internal sealed class RunState(DateTimeOffset started)
    {
        public DateTimeOffset Started { get; } = started;

        public DateTimeOffset LastActive { get; set; } = started;

        public int Steps { get; set; }

        public long Tokens { get; set; }

        public decimal Cost { get; set; }

        public int ToolCalls { get; set; }

        public int MessagesSeen { get; set; }

        public Dictionary<string, int> Counts { get; } = new(StringComparer.Ordinal);

        public string? PendingNote { get; set; }

        public (string Limit, string Detail)? StopReason { get; set; }
    }

    private sealed class Circuit
    {
        public Queue<(long Ticks, decimal Cost)> Window { get; } = new();

        public decimal WindowCost { get; set; }

        public CircuitState State { get; set; }

        public DateTimeOffset OpenUntil { get; set; }

        public decimal TripCost { get; set; }

        public bool ProbeInFlight { get; set; }
    }
}
