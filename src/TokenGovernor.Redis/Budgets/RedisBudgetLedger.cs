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
/// release, leases reclaimed when an instance dies, calendar and sliding windows, soft thresholds once per window), with each
/// reserve, settle and release one Lua script — one round trip.
/// </summary>
/// <remarks>
/// <para>Windows are computed from the caller's <see cref="TimeProvider"/>, so instances should keep their clocks in sync
/// (NTP); a skew of s seconds shifts a window edge by s for the skewed instance.</para>
/// <para>Amounts are kept in Redis as integer nano-dollars: reservations and charges are rounded up to the next 1e-9 USD,
/// limits down, so rounding never lets a budget overspend. Limits up to about 9 million USD per window are exact.</para>
/// <para>When Redis is unreachable or slower than <see cref="RedisBudgetLedgerOptions.OperationTimeout"/>, the
/// <see cref="RedisBudgetLedgerOptions.FailurePolicy"/> applies; a settle that cannot reach Redis is queued and applied when
/// it answers again (never twice: settles are idempotent by reservation id, fail-open charges by charge id).</para>
/// </remarks>
public sealed class RedisBudgetLedger : IBudgetLedger
{
    private const long LocalFlag = 1L << 61;
    private const long NoopFlag = 1L << 60;
    private const decimal UnitsPerDollar = 1_000_000_000m;
    private const char Separator = '\u001f';

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisBudgetLedgerOptions _options;
    private readonly PolicyInfo[] _policies;
    private readonly Dictionary<string, PolicyInfo> _byName;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RedisKey[] _reserveKeys;
    private readonly RedisKey[] _leaseKeys;
    private readonly string _prefix;
    private readonly long _retentionMs;
    private readonly InMemoryBudgetLedger? _local;
    private readonly ConcurrentDictionary<long, CounterRef[]> _localCounters = new();
    private readonly ConcurrentDictionary<string, CachedCounter> _seen = new(StringComparer.Ordinal);
    private readonly Queue<PendingOperation> _pending = new();
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _reconciled;
    // Request tokens name each reserve attempt, so one whose reply never came can be abandoned: "<instance>.<sequence>".
    private readonly string _tokenPrefix = Guid.NewGuid().ToString("N") + ".";
    private long _tokenSequence;
    private long _retryAtTicks;
    private long _expired;
    private int _draining;

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
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(policies);
        _options = (options ?? new RedisBudgetLedgerOptions()).Clone();
        RedisOptionsValidation.Validate(_options);
        var list = policies.ToList();
        foreach (var policy in list)
        {
            ArgumentNullException.ThrowIfNull(policy, nameof(policies));
            policy.Validate();
            if (policy.Name.Contains(Separator, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Budget policy '{policy.Name}' contains the unit separator character (U+001F); remove it from the name.", nameof(policies));
            }
        }

        var duplicate = list.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"Two budget policies are named '{duplicate.Key}'; policy names must be unique.", nameof(policies));
        }

        _redis = redis;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        Policies = list;
        _policies = list.Select(p => new PolicyInfo(p)).ToArray();
        _byName = _policies.ToDictionary(p => p.Policy.Name, StringComparer.Ordinal);
        _prefix = "{" + _options.KeyPrefix + "}";
        _reserveKeys = [_prefix + ":seq", _prefix + ":leases"];
        _leaseKeys = [_prefix + ":leases"];
        _retentionMs = (long)Math.Max(_options.ClosedReservationRetention.TotalMilliseconds, 2 * _options.ReservationLease.TotalMilliseconds);
        if (_options.FailurePolicy == RedisFailurePolicy.FailOpen)
        {
            var fraction = (decimal)_options.FailOpenLimitFraction;
            _local = new InMemoryBudgetLedger(
                list.Select(p => p with
                {
                    CostLimit = p.CostLimit is { } c ? decimal.Round(c * fraction, 9, MidpointRounding.ToZero) : null,
                    TokenLimit = p.TokenLimit is { } t ? (long)Math.Floor(t * _options.FailOpenLimitFraction) : null,
                    SoftThresholds = [],
                }),
                new BudgetLedgerOptions { ReservationLease = _options.ReservationLease },
                _time);
        }

        var meter = meterFactory?.Create(TokenGovernorDiagnostics.MeterName) ?? s_meter;
        _fallbacks = meter.CreateCounter<long>("token_governor.budget.ledger.fallbacks", "{operation}",
            "Ledger operations that could not reach Redis and fell back to the failure policy or the pending queue.");
        _reconciled = meter.CreateCounter<long>("token_governor.budget.ledger.reconciled", "{operation}",
            "Queued settles, releases and fail-open charges applied to Redis after it came back.");
    }

    private static readonly Meter s_meter = new(TokenGovernorDiagnostics.MeterName);

    /// <inheritdoc />
    public event EventHandler<BudgetThresholdCrossedEventArgs>? ThresholdCrossed;

    /// <inheritdoc />
    public IReadOnlyList<BudgetPolicy> Policies { get; }

    /// <summary>Gets how many reservations this instance found expired and reclaimed.</summary>
    public long ExpiredReservations => Interlocked.Read(ref _expired);

    /// <summary>Gets how many settles, releases, fail-open charges and abandoned reserves wait for Redis.</summary>
    public int PendingOperations
    {
        get
        {
            lock (_pending)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Gets a value indicating whether the ledger currently treats Redis as unreachable (it retries after <see cref="RedisBudgetLedgerOptions.RetryInterval"/>).</summary>
    public bool IsDegraded => _time.GetUtcNow().UtcTicks < Interlocked.Read(ref _retryAtTicks);

    private IDatabase Db => _redis.GetDatabase(_options.Database);

    /// <summary>Gets how many reservations are open in Redis across every instance (one <c>ZCARD</c>), plus this instance's fail-open ones.</summary>
    /// <returns>The count.</returns>
    public async Task<long> CountOpenReservationsAsync() =>
        await Db.SortedSetLengthAsync(_leaseKeys[0]).ConfigureAwait(false) + _localCounters.Count;

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
        if (!IsDegraded)
        {
            var token = _tokenPrefix + Interlocked.Increment(ref _tokenSequence).ToString(CultureInfo.InvariantCulture);
            try
            {
                var result = await RunReserveAsync(counters, cost, tokens, now, token, cancellationToken).ConfigureAwait(false);
                Recovered();
                return result;
            }
            catch (Exception ex) when (ex is OperationCanceledException || IsUnavailable(ex, cancellationToken))
            {
                // No reply, but the script may have run or may still run (a timeout, a lost connection, a caller that gave up):
                // its hold would then sit until the lease. Queue an abandon, which gives the hold back or forbids the grant.
                Enqueue(new PendingOperation(PendingKind.Abandon, 0, 0, 0, now, [], token));
                if (!IsUnavailable(ex, cancellationToken))
                {
                    _ = DrainIfHealthyAsync();
                    throw;
                }

                Trip("reserve", ex);
            }
        }

        CountFallback("reserve", _options.FailurePolicy.ToString());
        if (_local is null)
        {
            return LedgerUnavailable(counters);
        }

        var local = await _local.ReserveAsync(scope, cost, tokens, cancellationToken).ConfigureAwait(false);
        if (!local.IsGranted)
        {
            return local;
        }

        var id = local.Reservation.Id | LocalFlag;
        _localCounters[id] = counters;
        return BudgetReservationResult.Granted(local.Reservation with { Id = id }, local.Utilisation);
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

        if ((reservation.Id & LocalFlag) != 0)
        {
            if (!_localCounters.TryRemove(reservation.Id, out var counters))
            {
                return null;
            }

            var unused = await _local!.SettleAsync(reservation with { Id = reservation.Id & ~LocalFlag }, actualCost, actualTokens, cancellationToken).ConfigureAwait(false);
            Enqueue(new PendingOperation(PendingKind.Charge, 0, ToUnits(actualCost), actualTokens, _time.GetUtcNow(), counters, Guid.NewGuid().ToString("N")));
            _ = DrainIfHealthyAsync();
            return unused;
        }

        var units = ToUnits(actualCost);
        if (!IsDegraded)
        {
            try
            {
                var applied = await RunSettleAsync(reservation.Id, units, actualTokens, late: false, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                Recovered();
                return applied ? reservation.Cost - actualCost : null;
            }
            catch (Exception ex) when (IsUnavailable(ex, CancellationToken.None))
            {
                Trip("settle", ex);
            }
        }

        // Redis is down: the spend happened, so it is queued and charged once Redis answers (even if the lease expires first).
        CountFallback("settle", "queued");
        Enqueue(new PendingOperation(PendingKind.Settle, reservation.Id, units, actualTokens, _time.GetUtcNow(), [], null));
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

        if ((reservation.Id & LocalFlag) != 0)
        {
            return _localCounters.TryRemove(reservation.Id, out _) &&
                await _local!.ReleaseAsync(reservation with { Id = reservation.Id & ~LocalFlag }, cancellationToken).ConfigureAwait(false);
        }

        if (!IsDegraded)
        {
            try
            {
                var result = await WithTimeout(Db.ScriptEvaluateAsync(RedisLedgerScripts.Release, _leaseKeys,
                    [_prefix, reservation.Id, _retentionMs]), CancellationToken.None).ConfigureAwait(false);
                Recovered();
                return (long)result == 1;
            }
            catch (Exception ex) when (IsUnavailable(ex, CancellationToken.None))
            {
                Trip("release", ex);
            }
        }

        CountFallback("release", "queued");
        Enqueue(new PendingOperation(PendingKind.Release, reservation.Id, 0, 0, _time.GetUtcNow(), [], null));
        return true;
    }

    /// <inheritdoc />
    /// <remarks>Answered from the counters as last seen in Redis's replies when they are younger than
    /// <see cref="RedisBudgetLedgerOptions.UtilisationCacheDuration"/>; otherwise one read.</remarks>
    public double GetUtilisation(GovernanceScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var counters = Applicable(scope);
        if (counters.Length == 0)
        {
            return 0;
        }

        var now = _time.GetUtcNow();
        var max = 0.0;
        var stale = false;
        foreach (var c in counters)
        {
            if (_seen.TryGetValue(c.Id, out var seen) && seen.Window == c.Info.Window(now).Id &&
                now.UtcTicks - seen.AtTicks < _options.UtilisationCacheDuration.Ticks)
            {
                max = Math.Max(max, c.Info.Utilisation(seen.Spent, seen.SpentTokens, seen.Reserved, seen.ReservedTokens));
            }
            else
            {
                stale = true;
                break;
            }
        }

        if (!stale)
        {
            return max;
        }

        var usage = ReadCounters(counters, now);
        return usage is null
            ? Math.Max(StaleUtilisation(counters), _local?.GetUtilisation(scope) ?? 0)
            : usage.Max(u => u.Utilisation);
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

    // When Redis cannot be read: the counters as the last reply from Redis showed them (null when this instance saw none).
    private List<BudgetUsage>? LastSeen(CounterRef[] counters, DateTimeOffset now)
    {
        var list = new List<BudgetUsage>(counters.Length);
        foreach (var c in counters)
        {
            if (_seen.TryGetValue(c.Id, out var seen))
            {
                list.Add(c.Info.Usage(c.Key, seen, now));
            }
        }

        return list.Count > 0 ? list : null;
    }

    /// <summary>Applies every queued settle, release, fail-open charge and abandoned reserve to Redis now (it also happens on its own after Redis answers again).</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many operations were applied; those left wait for the next attempt.</returns>
    public async Task<int> ReconcileAsync(CancellationToken cancellationToken = default)
    {
        while (Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        var applied = 0;
        try
        {
            while (true)
            {
                PendingOperation op;
                lock (_pending)
                {
                    if (_pending.Count == 0)
                    {
                        break;
                    }

                    op = _pending.Peek();
                }

                try
                {
                    await ApplyAsync(op, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (IsUnavailable(ex, cancellationToken))
                {
                    Trip("reconcile", ex);
                    break;
                }

                lock (_pending)
                {
                    _pending.Dequeue();
                }

                applied++;
                _reconciled.Add(1, new KeyValuePair<string, object?>("operation", op.Kind.ToString().ToLowerInvariant()));
            }
        }
        finally
        {
            Volatile.Write(ref _draining, 0);
        }

        if (applied > 0)
        {
            RedisLedgerLog.Reconciled(_logger, applied);
        }

        return applied;
    }

    private async Task ApplyAsync(PendingOperation op, CancellationToken cancellationToken)
    {
        switch (op.Kind)
        {
            case PendingKind.Settle:
                await RunSettleAsync(op.Id, op.Units, op.Tokens, late: true, op.At, cancellationToken).ConfigureAwait(false);
                break;
            case PendingKind.Release:
                await WithTimeout(Db.ScriptEvaluateAsync(RedisLedgerScripts.Release, _leaseKeys, [_prefix, op.Id, _retentionMs]), cancellationToken).ConfigureAwait(false);
                break;
            case PendingKind.Abandon:
                await WithTimeout(Db.ScriptEvaluateAsync(RedisLedgerScripts.Abandon, _leaseKeys,
                    [_prefix, op.ChargeId, _retentionMs, (long)_options.ReservationLease.TotalMilliseconds]), cancellationToken).ConfigureAwait(false);
                break;
            default:
                var args = new List<RedisValue>(8 + (_policies.Length * 7) + (op.Counters.Length * 2))
                {
                    _prefix, op.ChargeId, _retentionMs, op.Units, op.Tokens,
                };
                AddPolicyTable(args, op.At);
                args.Add(op.Counters.Length);
                foreach (var c in op.Counters)
                {
                    args.Add(c.Info.Policy.Name);
                    args.Add(c.Key);
                }

                var result = await WithTimeout(Db.ScriptEvaluateAsync(RedisLedgerScripts.Charge, [], [.. args]), cancellationToken).ConfigureAwait(false);
                if (result.Resp2Type == ResultType.Array)
                {
                    ObserveSettled((RedisResult[])result!, op.At);
                }

                break;
        }
    }

    private async Task<BudgetReservationResult> RunReserveAsync(CounterRef[] counters, decimal cost, long tokens, DateTimeOffset now, string token,
        CancellationToken cancellationToken)
    {
        var units = ToUnits(cost);
        var nowMs = now.ToUnixTimeMilliseconds();
        var args = new RedisValue[9 + (counters.Length * 8)];
        args[0] = _prefix;
        args[1] = nowMs;
        args[2] = units;
        args[3] = tokens;
        args[4] = nowMs + (long)_options.ReservationLease.TotalMilliseconds;
        args[5] = _retentionMs;
        args[6] = _options.ReclaimBatchSize;
        args[7] = counters.Length;
        var windows = new WindowInfo[counters.Length];
        for (var i = 0; i < counters.Length; i++)
        {
            var c = counters[i];
            var w = windows[i] = c.Info.Window(now);
            var o = 8 + (i * 8);
            args[o] = c.Info.Policy.Name;
            args[o + 1] = c.Key;
            args[o + 2] = w.Id;
            args[o + 3] = w.TtlMs(now);
            args[o + 4] = c.Info.CostLimitUnits;
            args[o + 5] = c.Info.TokenLimit;
            args[o + 6] = c.Info.Policy.Mode == BudgetMode.Strict ? 1 : 0;
            args[o + 7] = w.Bucket(now);
        }

        args[^1] = token;
        var reply = (RedisResult[])(await WithTimeout(Db.ScriptEvaluateAsync(RedisLedgerScripts.Reserve, _reserveKeys, args), cancellationToken).ConfigureAwait(false))!;
        if ((long)reply[0] == 2)
        {
            // Abandoned before it ran, which only an attempt this instance had already given up on can be: refuse, as for an
            // unreachable ledger, without marking Redis down (it answered).
            return LedgerUnavailable(counters);
        }

        var granted = (long)reply[0] == 1;
        var utilisation = ParseDouble(reply[granted ? 2 : 5]);
        var reclaimed = (long)reply[granted ? 3 : 6];
        if (reclaimed > 0)
        {
            Interlocked.Add(ref _expired, reclaimed);
            RedisLedgerLog.Reclaimed(_logger, reclaimed);
        }

        if (!granted)
        {
            var c = counters[(int)(long)reply[1]];
            var isTokens = (long)reply[2] == 1;
            var spent = (long)reply[3];
            var reserved = (long)reply[4];
            return BudgetReservationResult.Denied(new BudgetDenial
            {
                Policy = c.Info.Policy,
                Key = c.Key,
                IsTokenLimit = isTokens,
                Limit = isTokens ? c.Info.TokenLimit : c.Info.Policy.CostLimit ?? 0,
                Spent = isTokens ? spent : FromUnits(spent),
                Reserved = isTokens ? reserved : FromUnits(reserved),
                Requested = isTokens ? tokens : cost,
                WindowResetsAt = windows[(int)(long)reply[1]].ResetsAt(now),
            }, utilisation);
        }

        for (var i = 0; i < counters.Length; i++)
        {
            var o = 4 + (i * 4);
            _seen[counters[i].Id] = new CachedCounter(windows[i].Id, (long)reply[o], (long)reply[o + 1], (long)reply[o + 2], (long)reply[o + 3], now.UtcTicks);
        }

        return BudgetReservationResult.Granted(new BudgetReservation((long)reply[1], cost, tokens), utilisation);
    }

    private async Task<bool> RunSettleAsync(long id, long units, long tokens, bool late, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var args = new List<RedisValue>(8 + (_policies.Length * 7))
        {
            _prefix, _time.GetUtcNow().ToUnixTimeMilliseconds(), id, units, tokens, _retentionMs, late ? 1 : 0,
        };
        AddPolicyTable(args, at);
        var result = await WithTimeout(Db.ScriptEvaluateAsync(RedisLedgerScripts.Settle, _leaseKeys, [.. args]), cancellationToken).ConfigureAwait(false);
        if (result.IsNull || result.Resp2Type != ResultType.Array)
        {
            return false;
        }

        ObserveSettled((RedisResult[])result!, at);
        return true;
    }

    private void AddPolicyTable(List<RedisValue> args, DateTimeOffset at)
    {
        var now = _time.GetUtcNow();
        args.Add(_policies.Length);
        foreach (var p in _policies)
        {
            var w = p.Window(at);
            args.Add(p.Policy.Name);
            args.Add(w.Id);
            args.Add(Math.Max(1, w.TtlMs(now)));
            args.Add(p.CostLimitUnits);
            args.Add(p.TokenLimit);
            args.Add(p.Thresholds);
            args.Add(w.Bucket(at));
        }
    }

    // Settle and charge replies: (policy, key, fired, spent, spentTokens, reserved, reservedTokens) per counter.
    private void ObserveSettled(RedisResult[] reply, DateTimeOffset at)
    {
        var now = _time.GetUtcNow();
        for (var o = 1; o + 6 < reply.Length; o += 7)
        {
            if (!_byName.TryGetValue((string)reply[o]!, out var info))
            {
                continue;
            }

            var key = (string)reply[o + 1]!;
            var fired = (long)reply[o + 2];
            var seen = new CachedCounter(info.Window(at).Id, (long)reply[o + 3], (long)reply[o + 4], (long)reply[o + 5], (long)reply[o + 6], now.UtcTicks);
            _seen[new CounterRef(info, key).Id] = seen;
            if (fired != 0 && ThresholdCrossed is { } handler)
            {
                var usage = info.Usage(key, seen, now);
                var thresholds = info.Policy.SoftThresholds;
                for (var t = 0; t < thresholds.Count && t < 31; t++)
                {
                    if ((fired & (1L << t)) != 0)
                    {
                        handler(this, new BudgetThresholdCrossedEventArgs(usage, thresholds[t]));
                    }
                }
            }
        }
    }

    private List<BudgetUsage>? ReadCounters(CounterRef[] counters, DateTimeOffset now)
    {
        if (IsDegraded)
        {
            return null;
        }

        var args = new RedisValue[2 + (counters.Length * 4)];
        args[0] = _prefix;
        args[1] = counters.Length;
        var windows = new WindowInfo[counters.Length];
        for (var i = 0; i < counters.Length; i++)
        {
            var w = windows[i] = counters[i].Info.Window(now);
            args[2 + (i * 4)] = counters[i].Info.Policy.Name;
            args[3 + (i * 4)] = counters[i].Key;
            args[4 + (i * 4)] = w.Id;
            args[5 + (i * 4)] = w.Bucket(now);
        }

        RedisResult[] reply;
        try
        {
            // The interface's read is synchronous; it is bounded by the operation timeout and cached for UtilisationCacheDuration.
            // WaitAsync's task captures no synchronization context, so blocking on it cannot deadlock a UI or test context.
            reply = (RedisResult[])Db.ScriptEvaluateAsync(RedisLedgerScripts.Read, [], args).WaitAsync(_options.OperationTimeout, _time).GetAwaiter().GetResult()!;
            Recovered();
        }
        catch (Exception ex) when (IsUnavailable(ex, CancellationToken.None))
        {
            Trip("read", ex);
            return null;
        }

        var list = new List<BudgetUsage>(counters.Length);
        for (var i = 0; i < counters.Length; i++)
        {
            var o = i * 4;
            var seen = new CachedCounter(windows[i].Id, (long)reply[o], (long)reply[o + 1], (long)reply[o + 2], (long)reply[o + 3], now.UtcTicks);
            _seen[counters[i].Id] = seen;
            list.Add(counters[i].Info.Usage(counters[i].Key, seen, now));
        }

        return list;
    }

    private double StaleUtilisation(CounterRef[] counters)
    {
        var max = 0.0;
        foreach (var c in counters)
        {
            if (_seen.TryGetValue(c.Id, out var seen))
            {
                max = Math.Max(max, c.Info.Utilisation(seen.Spent, seen.SpentTokens, seen.Reserved, seen.ReservedTokens));
            }
        }

        return max;
    }

    private CounterRef[] Applicable(GovernanceScope scope)
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

        var result = new CounterRef[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = new CounterRef(_policies[hits[i]], keys[hits[i]]!);
        }

        return result;
    }

    private async Task<RedisResult> WithTimeout(Task<RedisResult> task, CancellationToken cancellationToken) =>
        await task.WaitAsync(_options.OperationTimeout, _time, cancellationToken).ConfigureAwait(false);

    // The refusal when Redis cannot decide: named after the call's first counter, at full utilisation.
    private static BudgetReservationResult LedgerUnavailable(CounterRef[] counters) =>
        BudgetReservationResult.Denied(new BudgetDenial { Policy = counters[0].Info.Policy, Key = counters[0].Key, IsLedgerUnavailable = true }, 1.0);

    private static bool IsUnavailable(Exception ex, CancellationToken cancellationToken) =>
        ex is RedisConnectionException or RedisTimeoutException or TimeoutException or ObjectDisposedException ||
        (ex is RedisServerException server && (server.Message.StartsWith("LOADING", StringComparison.Ordinal) || server.Message.StartsWith("BUSY", StringComparison.Ordinal))) ||
        (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private void CountFallback(string operation, string policy) =>
        _fallbacks.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("policy", policy));

    private void Trip(string operation, Exception ex)
    {
        var first = Interlocked.Exchange(ref _retryAtTicks, (_time.GetUtcNow() + _options.RetryInterval).UtcTicks) == 0;
        if (first)
        {
            RedisLedgerLog.Unavailable(_logger, operation, ex.GetType().Name + ": " + ex.Message, _options.FailurePolicy);
        }
    }

    private void Recovered()
    {
        if (Interlocked.Exchange(ref _retryAtTicks, 0) != 0)
        {
            RedisLedgerLog.Recovered(_logger, PendingOperations);
        }

        if (PendingOperations > 0)
        {
            _ = DrainIfHealthyAsync();
        }
    }

    private async Task DrainIfHealthyAsync()
    {
        if (IsDegraded || Volatile.Read(ref _draining) != 0)
        {
            return;
        }

        try
        {
            await ReconcileAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Trip("reconcile", ex);
        }
    }

    private void Enqueue(PendingOperation op)
    {
        lock (_pending)
        {
            if (_pending.Count >= _options.MaxPendingOperations)
            {
                _pending.Dequeue();
                RedisLedgerLog.PendingDropped(_logger, _options.MaxPendingOperations);
                CountFallback("dropped", "queued");
            }

            _pending.Enqueue(op);
        }
    }

    private static long ToUnits(decimal cost)
    {
        var units = decimal.Ceiling(cost * UnitsPerDollar);
        return units > long.MaxValue / 4 ? throw new ArgumentOutOfRangeException(nameof(cost), cost, "The amount is too large for the Redis ledger (at most about 9 million USD).") : (long)units;
    }

    internal static decimal FromUnits(long units) => units / UnitsPerDollar;

    private static double ParseDouble(RedisResult value)
    {
        var text = (string)value!;
        return text switch
        {
            "inf" or "+inf" => double.PositiveInfinity,
            "-inf" => double.NegativeInfinity,
            _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
    }

    private enum PendingKind
    {
        Settle,
        Release,
        Charge,
        Abandon,
    }

    // ChargeId: the idempotency id of a fail-open charge, or the request token of an abandoned reserve.
    private sealed record PendingOperation(PendingKind Kind, long Id, long Units, long Tokens, DateTimeOffset At, CounterRef[] Counters, string? ChargeId);

    private readonly record struct CachedCounter(string Window, long Spent, long SpentTokens, long Reserved, long ReservedTokens, long AtTicks);

    private readonly record struct CounterRef(PolicyInfo Info, string Key)
    {
        public string Id => Info.Policy.Name + Separator + Key;
    }

    private sealed class WindowInfo(string id, DateTimeOffset? start, DateTimeOffset? end, long bucketTicks, TimeSpan? sliding)
    {
        public string Id { get; } = id;

        public DateTimeOffset? Start { get; } = start;

        public DateTimeOffset? End { get; } = end;

        public long Bucket(DateTimeOffset now) => bucketTicks > 0 ? now.UtcTicks / bucketTicks : -1;

        public long TtlMs(DateTimeOffset now) => sliding is { } s
            ? (long)(s + TimeSpan.FromTicks(bucketTicks) + TimeSpan.FromMinutes(1)).TotalMilliseconds
            : End is { } e ? (long)Math.Max(1, (e - now + TimeSpan.FromMinutes(1)).TotalMilliseconds) : 0;

        public DateTimeOffset? ResetsAt(DateTimeOffset now) => sliding is not null ? now + TimeSpan.FromTicks(bucketTicks) : End;

        public DateTimeOffset? WindowStart(DateTimeOffset now) => sliding is { } s ? now - s : Start;
    }

    private sealed class PolicyInfo
    {
        private readonly TimeZoneInfo _zone;
        private readonly WindowInfo? _fixed;
        private WindowInfo? _calendar;

        public PolicyInfo(BudgetPolicy policy)
        {
            Policy = policy;
            _zone = TimeZoneInfo.FindSystemTimeZoneById(policy.TimeZoneId);
            CostLimitUnits = policy.CostLimit is { } c ? (long)decimal.Floor(c * UnitsPerDollar) : -1;
            TokenLimit = policy.TokenLimit ?? -1;
            Thresholds = string.Join(',', (policy.SoftThresholds ?? []).Select(t => t.ToString("R", CultureInfo.InvariantCulture)));
            _fixed = policy.Window switch
            {
                BudgetWindow.Lifetime => new WindowInfo("life", null, null, 0, null),
                BudgetWindow.Sliding => new WindowInfo("sl", null, null, Math.Max(1, policy.SlidingWindow.Ticks / 60), policy.SlidingWindow),
                _ => null,
            };
        }

        public BudgetPolicy Policy { get; }

        public long CostLimitUnits { get; }

        public long TokenLimit { get; }

        public string Thresholds { get; }

        public WindowInfo Window(DateTimeOffset now)
        {
            if (_fixed is not null)
            {
                return _fixed;
            }

            var current = Volatile.Read(ref _calendar);
            if (current is not null && now >= current.Start && now < current.End)
            {
                return current;
            }

            var (start, end) = BudgetWindowCalculator.Calendar(Policy.Window, _zone, Policy.FirstDayOfWeek, now);
            var fresh = new WindowInfo(start.UtcTicks.ToString(CultureInfo.InvariantCulture), start, end, 0, null);
            Volatile.Write(ref _calendar, fresh);
            return fresh;
        }

        public double Utilisation(long spent, long spentTokens, long reserved, long reservedTokens)
        {
            var u = 0.0;
            if (CostLimitUnits >= 0)
            {
                u = BudgetMath.Utilisation(spent + reserved, CostLimitUnits);
            }

            if (TokenLimit >= 0)
            {
                u = Math.Max(u, BudgetMath.Utilisation(spentTokens + reservedTokens, TokenLimit));
            }

            return u;
        }

        public BudgetUsage Usage(string key, CachedCounter c, DateTimeOffset now)
        {
            var w = Window(now);
            var spent = FromUnits(c.Spent);
            return new BudgetUsage
            {
                Policy = Policy,
                Key = key,
                WindowStart = w.WindowStart(now),
                WindowResetsAt = w.ResetsAt(now),
                SpentCost = spent,
                ReservedCost = FromUnits(c.Reserved),
                SpentTokens = c.SpentTokens,
                ReservedTokens = c.ReservedTokens,
                Utilisation = Utilisation(c.Spent, c.SpentTokens, c.Reserved, c.ReservedTokens),
                Overspend = Policy.CostLimit is { } limit && spent > limit ? spent - limit : 0,
            };
        }
    }
}
