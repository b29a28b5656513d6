using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace TokenGovernor.Redis;

/// <summary>
/// An <see cref="IBudgetLedger"/> shared by every app instance through Redis: the same guarantees as
/// <see cref="InMemoryBudgetLedger"/> (atomic all-or-none admission across every matching policy, idempotent settle and
/// release, leases reclaimed when an instance dies, calendar, sliding and lifetime windows, soft thresholds once per window),
/// with each reserve, settle and release one Lua script — one round trip.
/// </summary>
/// <remarks>
/// <para>Windows are computed from the caller's <see cref="TimeProvider"/>, so instances should keep their clocks in sync
/// (NTP); a skew of s seconds shifts a window edge by s for the skewed instance.</para>
/// <para>Amounts are kept in Redis as integer nano-dollars: reservations and charges are rounded up to the next 1e-9 USD,
/// limits down, so rounding never lets a budget overspend. Limits up to about 9 million USD per window are exact.</para>
/// <para>No operation waits longer than <see cref="RedisBudgetLedgerOptions.OperationTimeout"/>, the wait for the connection
/// included. When Redis is unreachable or too slow, the <see cref="RedisBudgetLedgerOptions.FailurePolicy"/> applies; a settle
/// that cannot reach Redis is queued and applied when it answers again (never twice: settles are idempotent by reservation id,
/// fail-open charges by charge id). One slow operation fails alone: the ledger stops asking Redis only when the connection is
/// lost or <see cref="RedisBudgetLedgerOptions.TimeoutsBeforeBreaking"/> operations in a row time out.</para>
/// <para>The parts: <c>RedisLedgerScriptClient</c> (scripts and their typed replies), <c>RedisLedgerOutbox</c> (queued
/// operations), <c>RedisHealthGate</c> (when to stop asking Redis), <c>RedisFailOpenLedger</c> (local admission while down).
/// This class only decides which of them a call goes to.</para>
/// </remarks>
public sealed class RedisBudgetLedger : IBudgetLedger
{
    private const long NoopFlag = 1L << 60;

    private int _refreshing;
    private readonly RedisConnectionSource _connection;
    private readonly RedisBudgetLedgerOptions _options;
    private readonly RedisLedgerPolicy[] _policies;
    private readonly Dictionary<string, RedisLedgerPolicy> _byName;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RedisLedgerScriptClient _scripts;
    private readonly RedisLedgerOutbox _outbox;
    private readonly RedisHealthGate _gate;
    private readonly RedisFailOpenLedger? _local;
    private readonly ConcurrentDictionary<string, RedisSeenCounter> _seen = new(StringComparer.Ordinal);
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _reconciled;
    // Request tokens name each reserve attempt, so one whose reply never came can be abandoned: "<instance>.<sequence>".
    private readonly string _tokenPrefix = Guid.NewGuid().ToString("N") + ".";
    private long _tokenSequence;
    private long _expired;

    /// <summary>Initializes a new ledger.</summary>
    /// <param name="redis">The connection (shared; the ledger does not dispose it).</param>
    /// <param name="policies">The policies; every instance sharing <see cref="RedisBudgetLedgerOptions.KeyPrefix"/> must use the same ones.</param>
    /// <param name="options">The options, or <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Logs fallbacks, recoveries and reclaimed leases.</param>
    /// <param name="meterFactory">Creates the <c>TokenGovernor</c> meter for the fallback and reconciliation counters.</param>
    /// <exception cref="ArgumentException">A policy or option is invalid, or two policies share a name.</exception>
    public RedisBudgetLedger(IConnectionMultiplexer redis, IEnumerable<BudgetPolicy> policies, RedisBudgetLedgerOptions? options = null,
        TimeProvider? timeProvider = null, ILogger? logger = null, IMeterFactory? meterFactory = null)
        : this(RedisConnectionSource.Existing(redis ?? throw new ArgumentNullException(nameof(redis))), policies, options, timeProvider, logger, meterFactory)
    {
    }

    internal RedisBudgetLedger(RedisConnectionSource connection, IEnumerable<BudgetPolicy> policies, RedisBudgetLedgerOptions? options,
        TimeProvider? timeProvider, ILogger? logger, IMeterFactory? meterFactory)
    {
        ArgumentNullException.ThrowIfNull(policies);
        _options = (options ?? new RedisBudgetLedgerOptions()).Clone();
        RedisOptionsValidation.Validate(_options);
        var list = policies.ToList();
        foreach (var policy in list)
        {
            ArgumentNullException.ThrowIfNull(policy, nameof(policies));
            policy.Validate();
            if (policy.Name.Contains(RedisCounter.Separator, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Budget policy '{policy.Name}' contains the unit separator character (U+001F); remove it from the name.", nameof(policies));
            }
        }

        var duplicate = list.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Two budget policies are named '{duplicate.Key}'; policy names must be unique.", nameof(policies));
        }

        _connection = connection;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        Policies = list;
        _policies = list.Select(p => new RedisLedgerPolicy(p)).ToArray();
        _byName = _policies.ToDictionary(p => p.Policy.Name, StringComparer.Ordinal);
        _scripts = new RedisLedgerScriptClient(connection, _options, _time, _policies);
        _gate = new RedisHealthGate(_time, _options.RetryInterval, _options.TimeoutsBeforeBreaking);
        if (_options.FailurePolicy == RedisFailurePolicy.FailOpen)
        {
            _local = new RedisFailOpenLedger(list, _options.FailOpenLimitFraction, _options.ReservationLease, _time);
        }

        var meter = meterFactory?.Create(TokenGovernorDiagnostics.MeterName) ?? s_meter;
        _fallbacks = meter.CreateCounter<long>("token_governor.budget.ledger.fallbacks", "{operation}",
            "Ledger operations that could not reach Redis and fell back to the failure policy or the pending queue.");
        _reconciled = meter.CreateCounter<long>("token_governor.budget.ledger.reconciled", "{operation}",
            "Queued settles, releases and fail-open charges applied to Redis after it came back.");
        _outbox = new RedisLedgerOutbox(_options.MaxPendingOperations, _logger, () => CountFallback("dropped", "queued"));
        _ = WarmUpAsync();
    }

    private static readonly Meter s_meter = new(TokenGovernorDiagnostics.MeterName);

    /// <inheritdoc />
    public event EventHandler<BudgetThresholdCrossedEventArgs>? ThresholdCrossed;

    /// <inheritdoc />
    public IReadOnlyList<BudgetPolicy> Policies { get; }

    /// <summary>Gets how many reservations this instance found expired and reclaimed.</summary>
    public long ExpiredReservations => Interlocked.Read(ref _expired);

    /// <summary>Gets how many settles, releases, fail-open charges and abandoned reserves wait for Redis.</summary>
    public int PendingOperations => _outbox.Count;

    /// <summary>Gets a value indicating whether the ledger currently skips Redis and applies its failure policy (after a lost
    /// connection, or <see cref="RedisBudgetLedgerOptions.TimeoutsBeforeBreaking"/> timeouts in a row; it retries after
    /// <see cref="RedisBudgetLedgerOptions.RetryInterval"/>).</summary>
    public bool IsDegraded => _gate.IsOpen;

    /// <summary>Gets the Redis endpoint(s) this ledger uses, as refusals and health reports name them.</summary>
    public string Endpoint => _connection.Endpoint;

    internal RedisConnectionSource Connection => _connection;

    internal string? LastFailure => _gate.LastFailure;

    internal RedisLedgerScriptClient Scripts => _scripts;

    internal RedisBudgetLedgerOptions Options => _options;

    /// <summary>Gets how many reservations are open in Redis across every instance (one <c>ZCARD</c>), plus this instance's fail-open ones.</summary>
    /// <returns>The count.</returns>
    public async Task<long> CountOpenReservationsAsync() =>
        await _scripts.CountOpenAsync(CancellationToken.None).ConfigureAwait(false) + (_local?.OpenCount ?? 0);

    /// <inheritdoc />
    public async ValueTask<BudgetReservationResult> ReserveAsync(GovernanceScope scope, decimal cost, long tokens, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentOutOfRangeException.ThrowIfNegative(cost);
        ArgumentOutOfRangeException.ThrowIfNegative(tokens);
        cancellationToken.ThrowIfCancellationRequested();
        var counters = Applicable(scope);
        if (counters.Length == 0)
        {
            return BudgetReservationResult.Granted(new BudgetReservation(NoopFlag, cost, tokens), 0);
        }

        var now = _time.GetUtcNow();
        if (!_gate.IsOpen)
        {
            var token = _tokenPrefix + Interlocked.Increment(ref _tokenSequence).ToString(CultureInfo.InvariantCulture);
            var windows = Windows(counters, now);
            try
            {
                var reply = await _scripts.ReserveAsync(counters, windows, RedisLedgerPolicy.ToUnits(cost), tokens, now, token, cancellationToken).ConfigureAwait(false);
                Succeeded();
                return Admit(reply, counters, windows, cost, tokens, now);
            }
            catch (Exception ex) when (ex is OperationCanceledException || IsUnavailable(ex, cancellationToken))
            {
                // No reply, but the script may have run or may still run (a timeout, a lost connection, a caller that gave up):
                // its hold would then sit until the lease. Queue an abandon, which gives the hold back or forbids the grant.
                _outbox.Enqueue(new RedisPendingOperation(RedisPendingKind.Abandon, 0, 0, 0, now, [], token));
                if (!IsUnavailable(ex, cancellationToken))
                {
                    _ = DrainIfHealthyAsync();
                    throw;
                }

                Failed("reserve", ex);
            }
        }

        CountFallback("reserve", _options.FailurePolicy.ToString());
        return _local is null
            ? LedgerUnavailable(counters)
            : await _local.ReserveAsync(scope, cost, tokens, counters, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<decimal?> SettleAsync(BudgetReservation reservation, decimal actualCost, long actualTokens, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actualCost);
        ArgumentOutOfRangeException.ThrowIfNegative(actualTokens);
        if (reservation.Id <= 0)
        {
            return null;
        }

        if ((reservation.Id & NoopFlag) != 0)
        {
            return reservation.Cost - actualCost;
        }

        var units = RedisLedgerPolicy.ToUnits(actualCost);
        if (RedisFailOpenLedger.Owns(reservation))
        {
            if (_local is null || await _local.SettleAsync(reservation, actualCost, actualTokens, cancellationToken).ConfigureAwait(false) is not { } local)
            {
                return null;
            }

            _outbox.Enqueue(new RedisPendingOperation(RedisPendingKind.Charge, 0, units, actualTokens, _time.GetUtcNow(), local.Counters, Guid.NewGuid().ToString("N")));
            _ = DrainIfHealthyAsync();
            return local.Unused;
        }

        var at = _time.GetUtcNow();
        if (!_gate.IsOpen)
        {
            try
            {
                var settled = await _scripts.SettleAsync(reservation.Id, units, actualTokens, late: false, at, cancellationToken).ConfigureAwait(false);
                Succeeded();
                if (settled is null)
                {
                    return null;
                }

                Observe(settled, at);
                return reservation.Cost - actualCost;
            }
            catch (Exception ex) when (IsUnavailable(ex, CancellationToken.None))
            {
                Failed("settle", ex);
            }
        }

        // Redis is down: the spend happened, so it is queued and charged once Redis answers (even if the lease expires first).
        CountFallback("settle", "queued");
        _outbox.Enqueue(new RedisPendingOperation(RedisPendingKind.Settle, reservation.Id, units, actualTokens, at, [], null));
        return reservation.Cost - actualCost;
    }

    /// <inheritdoc />
    public async ValueTask<bool> ReleaseAsync(BudgetReservation reservation, CancellationToken cancellationToken = default)
    {
        if (reservation.Id <= 0)
        {
            return false;
        }

        if ((reservation.Id & NoopFlag) != 0)
        {
            return true;
        }

        if (RedisFailOpenLedger.Owns(reservation))
        {
            return _local is not null && await _local.ReleaseAsync(reservation, cancellationToken).ConfigureAwait(false);
        }

        if (!_gate.IsOpen)
        {
            try
            {
                var released = await _scripts.ReleaseAsync(reservation.Id, CancellationToken.None).ConfigureAwait(false);
                Succeeded();
                return released;
            }
            catch (Exception ex) when (IsUnavailable(ex, CancellationToken.None))
            {
                Failed("release", ex);
            }
        }

        CountFallback("release", "queued");
        _outbox.Enqueue(new RedisPendingOperation(RedisPendingKind.Release, reservation.Id, 0, 0, _time.GetUtcNow(), [], null));
        return true;
    }

    /// <inheritdoc />
    /// <remarks>Answered from the counters as last seen in Redis's replies when they are younger than
    /// <see cref="RedisBudgetLedgerOptions.UtilizationCacheDuration"/>; otherwise one read while Redis answers. While it does not
    /// (not connected yet, the last operation timed out, or the health gate is open) the answer is the counters last seen (or, with
    /// none, the local ledger's) at once, and the read happens in the background: the degradation ladder reads utilization before
    /// every reserve, and a read that waited too would make one call wait twice <see cref="RedisBudgetLedgerOptions.OperationTimeout"/>.</remarks>
    public double GetUtilization(GovernanceScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var counters = Applicable(scope);
        if (counters.Length == 0)
        {
            return 0;
        }

        var now = _time.GetUtcNow();
        var max = 0.0;
        foreach (var c in counters)
        {
            if (!_seen.TryGetValue(c.Id, out var seen) || seen.Window != c.Info.Window(now).Id ||
                now.UtcTicks - seen.AtTicks >= _options.UtilizationCacheDuration.Ticks)
            {
                var usage = RedisAnswers ? ReadCounters(counters, now) : RefreshInBackground(counters, now);
                return usage is null
                    ? Math.Max(StaleUtilization(counters), _local?.GetUtilization(scope) ?? 0)
                    : usage.Max(u => u.Utilization);
            }

            max = Math.Max(max, c.Info.Utilization(seen.State));
        }

        return max;
    }

    /// <inheritdoc />
    /// <remarks>One read from Redis. When Redis cannot be read, the counters as this instance last saw them in a reply (or, with
    /// <see cref="RedisFailurePolicy.FailOpen"/> and none seen, the local ledger's).</remarks>
    public IReadOnlyList<BudgetUsage> GetUsage(GovernanceScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var counters = Applicable(scope);
        if (counters.Length == 0)
        {
            return [];
        }

        var now = _time.GetUtcNow();
        return ReadCounters(counters, now) ?? LastSeen(counters, now) ?? _local?.GetUsage(scope) ?? [];
    }

    /// <summary>Applies every queued settle, release, fail-open charge and abandoned reserve to Redis now (it also happens on its own after Redis answers again).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many operations were applied; those left wait for the next attempt.</returns>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken = default)
    {
        var applied = await _outbox.DrainAsync(
            ApplyAsync,
            ex =>
            {
                if (!IsUnavailable(ex, cancellationToken))
                {
                    return false;
                }

                Failed("reconcile", ex);
                return true;
            },
            op => _reconciled.Add(1, new KeyValuePair<string, object?>("operation", op.Kind.ToString().ToLowerInvariant())),
            cancellationToken).ConfigureAwait(false);
        if (applied > 0)
        {
            RedisLedgerLog.Reconciled(_logger, applied);
        }

        return applied;
    }

    private async Task ApplyAsync(RedisPendingOperation op, CancellationToken cancellationToken)
    {
        switch (op.Kind)
        {
            case RedisPendingKind.Settle:
                if (await _scripts.SettleAsync(op.Id, op.Units, op.Tokens, late: true, op.At, cancellationToken).ConfigureAwait(false) is { } settled)
                {
                    Observe(settled, op.At);
                }

                break;
            case RedisPendingKind.Release:
                await _scripts.ReleaseAsync(op.Id, cancellationToken).ConfigureAwait(false);
                break;
            case RedisPendingKind.Abandon:
                await _scripts.AbandonAsync(op.Token!, cancellationToken).ConfigureAwait(false);
                break;
            default:
                if (await _scripts.ChargeAsync(op.Token!, op.Units, op.Tokens, op.At, op.Counters, cancellationToken).ConfigureAwait(false) is { } charged)
                {
                    Observe(charged, op.At);
                }

                break;
        }

        Succeeded();
    }

    private BudgetReservationResult Admit(RedisReserveReply reply, RedisCounter[] counters, RedisLedgerWindow[] windows, decimal cost, long tokens, DateTimeOffset now)
    {
        if (reply.Reclaimed > 0)
        {
            Interlocked.Add(ref _expired, reply.Reclaimed);
            RedisLedgerLog.Reclaimed(_logger, reply.Reclaimed);
        }

        switch (reply)
        {
            case RedisReserveReply.Granted granted:
                for (var i = 0; i < counters.Length; i++)
                {
                    _seen[counters[i].Id] = new RedisSeenCounter(windows[i].Id, granted.Counters[i], now.UtcTicks);
                }

                return BudgetReservationResult.Granted(new BudgetReservation(granted.Id, cost, tokens), granted.Utilization);
            case RedisReserveReply.Denied { Kind: RedisLimitKind.Requests } limited:
            {
                var window = windows[limited.CounterIndex];
                var counter = counters[limited.CounterIndex];
                var retryAfter = window.RequestSlotFreesIn(now, limited.OldestRequestBucket);
                return BudgetReservationResult.Denied(
                    RequestLimitDenial.Create(counter.Info.Policy, counter.Key, counter.Info.RequestLimit, limited.Spent, retryAfter, window.End, now),
                    limited.Utilization);
            }

            case RedisReserveReply.Denied denied:
                var c = counters[denied.CounterIndex];
                var isTokens = denied.Kind == RedisLimitKind.Tokens;
                return BudgetReservationResult.Denied(new BudgetDenial
                {
                    Policy = c.Info.Policy,
                    Key = c.Key,
                    IsTokenLimit = isTokens,
                    Limit = isTokens ? c.Info.TokenLimit : c.Info.Policy.CostLimit ?? 0,
                    Spent = isTokens ? denied.Spent : RedisLedgerPolicy.FromUnits(denied.Spent),
                    Reserved = isTokens ? denied.Reserved : RedisLedgerPolicy.FromUnits(denied.Reserved),
                    Requested = isTokens ? tokens : cost,
                    WindowResetsAt = windows[denied.CounterIndex].ResetsAt(now),
                }, denied.Utilization);
            default:
                // Abandoned before it ran, which only an attempt this instance had already given up on can be: refuse, as for an
                // unreachable ledger, without marking Redis down (it answered).
                return LedgerUnavailable(counters);
        }
    }

    private void Observe(IReadOnlyList<RedisSettledCounter> settled, DateTimeOffset at)
    {
        var now = _time.GetUtcNow();
        foreach (var s in settled)
        {
            if (!_byName.TryGetValue(s.Policy, out var info))
            {
                continue;
            }

            _seen[new RedisCounter(info, s.Key).Id] = new RedisSeenCounter(info.Window(at).Id, s.State, now.UtcTicks);
            if (s.FiredThresholds != 0 && ThresholdCrossed is { } handler)
            {
                var usage = info.Usage(s.Key, s.State, now);
                var thresholds = info.Policy.SoftThresholds;
                for (var t = 0; t < thresholds.Count && t < 31; t++)
                {
                    if ((s.FiredThresholds & (1L << t)) != 0)
                    {
                        handler(this, new BudgetThresholdCrossedEventArgs(usage, thresholds[t]));
                    }
                }
            }
        }
    }

    // Redis answered the last operation in time over an open connection: a blocking read is expected to be quick.
    private bool RedisAnswers => _connection.Current is { IsConnected: true } && _gate.TimeoutsInARow == 0 && !_gate.IsOpen;

    // Starts one background read of the counters (at most one at a time) and answers nothing now: the caller uses what was seen.
    private List<BudgetUsage>? RefreshInBackground(RedisCounter[] counters, DateTimeOffset now)
    {
        if (!_gate.IsOpen && Interlocked.CompareExchange(ref _refreshing, 1, 0) == 0)
        {
            _ = Task.Run(() =>
            {
                try
                {
                    _ = ReadCounters(counters, now);
                }
                finally
                {
                    Volatile.Write(ref _refreshing, 0);
                }
            });
        }

        return null;
    }

    private List<BudgetUsage>? ReadCounters(RedisCounter[] counters, DateTimeOffset now)
    {
        if (_gate.IsOpen)
        {
            return null;
        }

        var windows = Windows(counters, now);
        RedisCounterState[] states;
        try
        {
            // The interface's read is synchronous; it is bounded by the operation timeout and cached for UtilizationCacheDuration.
            // The task captures no synchronization context, so blocking on it cannot deadlock a UI or test context.
            states = _scripts.ReadAsync(counters, windows, now, CancellationToken.None).GetAwaiter().GetResult();
            Succeeded();
        }
        catch (Exception ex) when (IsUnavailable(ex, CancellationToken.None))
        {
            Failed("read", ex);
            return null;
        }

        var list = new List<BudgetUsage>(counters.Length);
        for (var i = 0; i < counters.Length; i++)
        {
            _seen[counters[i].Id] = new RedisSeenCounter(windows[i].Id, states[i], now.UtcTicks);
            list.Add(counters[i].Info.Usage(counters[i].Key, states[i], now));
        }

        return list;
    }

    // When Redis cannot be read: the counters as the last reply from Redis showed them (null when this instance saw none).
    private List<BudgetUsage>? LastSeen(RedisCounter[] counters, DateTimeOffset now)
    {
        var list = new List<BudgetUsage>(counters.Length);
        foreach (var c in counters)
        {
            if (_seen.TryGetValue(c.Id, out var seen))
            {
                list.Add(c.Info.Usage(c.Key, seen.State, now));
            }
        }

        return list.Count > 0 ? list : null;
    }

    private double StaleUtilization(RedisCounter[] counters)
    {
        var max = 0.0;
        foreach (var c in counters)
        {
            if (_seen.TryGetValue(c.Id, out var seen))
            {
                max = Math.Max(max, c.Info.Utilization(seen.State));
            }
        }

        return max;
    }

    private RedisCounter[] Applicable(GovernanceScope scope)
    {
        var n = 0;
        Span<int> hits = stackalloc int[_policies.Length];
        var keys = new string?[_policies.Length];
        for (var i = 0; i < _policies.Length; i++)
        {
            keys[i] = _policies[i].Policy.KeyFor(scope);
            if (keys[i] is not null)
            {
                hits[n++] = i;
            }
        }

        var result = new RedisCounter[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = new RedisCounter(_policies[hits[i]], keys[hits[i]]!);
        }

        return result;
    }

    private static RedisLedgerWindow[] Windows(RedisCounter[] counters, DateTimeOffset now)
    {
        var windows = new RedisLedgerWindow[counters.Length];
        for (var i = 0; i < counters.Length; i++)
        {
            windows[i] = counters[i].Info.Window(now);
        }

        return windows;
    }

    // The refusal when Redis cannot decide: named after the call's first counter, at full utilization, saying what failed and what to change.
    private BudgetReservationResult LedgerUnavailable(RedisCounter[] counters) =>
        BudgetReservationResult.Denied(new BudgetDenial
        {
            Policy = counters[0].Info.Policy,
            Key = counters[0].Key,
            IsLedgerUnavailable = true,
            Detail = FormattableString.Invariant(
                $"the Redis budget ledger at {_connection.Endpoint} could not decide ({_gate.LastFailure ?? "no reply"}), and RedisBudgetLedgerOptions.FailurePolicy is FailClosed, so the call was refused. ") +
                FormattableString.Invariant(
                $"Check that Redis is reachable at {_connection.Endpoint}; if it is only slow, raise RedisBudgetLedgerOptions.OperationTimeout (now {_options.OperationTimeout.TotalMilliseconds:0} ms); to admit calls on a local share of each budget while Redis is down, set FailurePolicy = FailOpen."),
        }, 1.0);

    private static bool IsUnavailable(Exception ex, CancellationToken cancellationToken) =>
        ex is RedisConnectionException or RedisNotConnectedException or RedisTimeoutException or TimeoutException or ObjectDisposedException ||
        (ex is RedisServerException server && (server.Message.StartsWith("LOADING", StringComparison.Ordinal) || server.Message.StartsWith("BUSY", StringComparison.Ordinal))) ||
        (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private void CountFallback(string operation, string policy) =>
        _fallbacks.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("policy", policy));

    private void Failed(string operation, Exception ex)
    {
        if (_gate.Failed(ex, _options.OperationTimeout))
        {
            RedisLedgerLog.Unavailable(_logger, operation, _gate.LastFailure ?? ex.Message, _options.FailurePolicy);
        }
    }

    private void Succeeded()
    {
        if (_gate.Succeeded())
        {
            RedisLedgerLog.Recovered(_logger, PendingOperations);
        }

        if (PendingOperations > 0 && !_outbox.IsDraining)
        {
            _ = DrainIfHealthyAsync();
        }
    }

    // Once the connection is open: load the scripts into Redis and run one empty read, so the first real calls neither send
    // the scripts' text nor wait on the JIT of the reply path (on a busy host that alone can take hundreds of milliseconds).
    private async Task WarmUpAsync()
    {
        try
        {
            await _scripts.WarmUpAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nothing to do: the first real call meets the same failure and reports it.
        }
    }

    private async Task DrainIfHealthyAsync()
    {
        if (_gate.IsOpen || _outbox.IsDraining)
        {
            return;
        }

        try
        {
            await ReconcileAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Failed("reconcile", ex);
        }
    }
}
