using System.Globalization;
using StackExchange.Redis;

namespace TokenGovernor.Redis;

/// <summary>
/// Runs the ledger's Lua scripts (<see cref="RedisLedgerScripts"/>): builds each script's arguments and turns its positional reply
/// into a typed one. Every call waits at most <see cref="RedisBudgetLedgerOptions.OperationTimeout"/>, the wait for the connection
/// included, and fails at once, without waiting, while the connection is known to be down.
/// </summary>
/// <remarks>
/// The argument and reply layouts of a script are written here and in the script's own doc comment, nowhere else. To add a
/// figure per counter: add it to the script's per-counter group, to <see cref="RedisCounterState"/>, and to
/// <see cref="ReadState"/> / the group width constants below (the request count was added that way).
/// </remarks>
internal sealed class RedisLedgerScriptClient
{
    // Per-counter group widths in the arguments and replies.
    private const int ReserveArgsPerCounter = 9;
    private const int PolicyArgsPerPolicy = 7;
    private const int StateWidth = 5;
    private const int SettledWidth = 3 + StateWidth;

    private readonly RedisConnectionSource _connection;
    private readonly RedisBudgetLedgerOptions _options;
    private readonly TimeProvider _time;
    private readonly RedisLedgerPolicy[] _policies;
    private readonly RedisKey[] _reserveKeys;
    private readonly RedisKey[] _leaseKeys;
    private readonly string _prefix;
    private readonly long _retentionMs;

    public RedisLedgerScriptClient(RedisConnectionSource connection, RedisBudgetLedgerOptions options, TimeProvider time, RedisLedgerPolicy[] policies)
    {
        _connection = connection;
        _options = options;
        _time = time;
        _policies = policies;
        _prefix = "{" + options.KeyPrefix + "}";
        _reserveKeys = [_prefix + ":seq", _prefix + ":leases"];
        _leaseKeys = [_prefix + ":leases"];
        _retentionMs = (long)Math.Max(options.ClosedReservationRetention.TotalMilliseconds, 2 * options.ReservationLease.TotalMilliseconds);
    }

    /// <summary>Gets the Redis key prefix with its hash tag (<c>{prefix}</c>).</summary>
    public string Prefix => _prefix;

    /// <summary>Reserve: admits against every counter or none. ARGV layout: see <see cref="RedisLedgerScripts.Reserve"/>.</summary>
    public async Task<RedisReserveReply> ReserveAsync(RedisCounter[] counters, RedisLedgerWindow[] windows, long units, long tokens, DateTimeOffset now,
        string requestToken, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        var args = new RedisValue[9 + (counters.Length * ReserveArgsPerCounter)];
        args[0] = _prefix;
        args[1] = nowMs;
        args[2] = units;
        args[3] = tokens;
        args[4] = nowMs + (long)_options.ReservationLease.TotalMilliseconds;
        args[5] = _retentionMs;
        args[6] = _options.ReclaimBatchSize;
        args[7] = counters.Length;
        for (var i = 0; i < counters.Length; i++)
        {
            var c = counters[i];
            var w = windows[i];
            var o = 8 + (i * ReserveArgsPerCounter);
            args[o] = c.Info.Policy.Name;
            args[o + 1] = c.Key;
            args[o + 2] = w.Id;
            args[o + 3] = w.TtlMs(now);
            args[o + 4] = c.Info.CostLimitUnits;
            args[o + 5] = c.Info.TokenLimit;
            args[o + 6] = c.Info.Policy.Mode == BudgetMode.Strict ? 1 : 0;
            args[o + 7] = w.Bucket(now);
            args[o + 8] = c.Info.RequestLimit;
        }

        args[^1] = requestToken;
        var reply = (RedisResult[])(await EvalAsync(RedisLedgerScripts.Reserve, _reserveKeys, args, cancellationToken).ConfigureAwait(false))!;
        switch ((long)reply[0])
        {
            case 2:
                return new RedisReserveReply.Abandoned();
            case 0:
                // {0, counter index, limit kind (0 cost, 1 tokens, 2 requests), spent, reserved, utilization, reclaimed, oldest request bucket}
                return new RedisReserveReply.Denied((int)(long)reply[1], (RedisLimitKind)(long)reply[2], (long)reply[3], (long)reply[4], ParseDouble(reply[5]),
                    (long)reply[6], (long)reply[7]);
            default:
                // {1, id, utilization, reclaimed, state per counter}
                var states = new RedisCounterState[counters.Length];
                for (var i = 0; i < states.Length; i++)
                {
                    states[i] = ReadState(reply, 4 + (i * StateWidth));
                }

                return new RedisReserveReply.Granted((long)reply[1], ParseDouble(reply[2]), (long)reply[3], states);
        }
    }

    /// <summary>
    /// Settle: charges the actual spend and releases the hold. Null when the reservation was already closed. With
    /// <c>late</c>, a reservation reclaimed while this instance could not reach Redis is charged too (a queued settle).
    /// </summary>
    public async Task<IReadOnlyList<RedisSettledCounter>?> SettleAsync(long id, long units, long tokens, bool late, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var args = new List<RedisValue>(9 + (_policies.Length * PolicyArgsPerPolicy))
        {
            _prefix, _time.GetUtcNow().ToUnixTimeMilliseconds(), id, units, tokens, _retentionMs, late ? 1 : 0,
        };
        AddPolicyTable(args, at);
        var result = await EvalAsync(RedisLedgerScripts.Settle, _leaseKeys, [.. args], cancellationToken).ConfigureAwait(false);
        return result.IsNull || result.Resp2Type != ResultType.Array ? null : ReadSettled((RedisResult[])result!);
    }

    /// <summary>Release: gives an open reservation's hold back. True when it was open.</summary>
    public async Task<bool> ReleaseAsync(long id, CancellationToken cancellationToken) =>
        (long)await EvalAsync(RedisLedgerScripts.Release, _leaseKeys, [_prefix, id, _retentionMs], cancellationToken).ConfigureAwait(false) == 1;

    /// <summary>Abandon: releases the hold of a reserve whose reply never came, or forbids it if it has not run yet.</summary>
    public async Task<bool> AbandonAsync(string requestToken, CancellationToken cancellationToken) =>
        (long)await EvalAsync(RedisLedgerScripts.Abandon, _leaseKeys,
            [_prefix, requestToken, _retentionMs, (long)_options.ReservationLease.TotalMilliseconds], cancellationToken).ConfigureAwait(false) == 1;

    /// <summary>Charge: applies spend a fail-open local ledger admitted, once per charge id. Null when it was applied before.</summary>
    public async Task<IReadOnlyList<RedisSettledCounter>?> ChargeAsync(string chargeId, long units, long tokens, DateTimeOffset at, RedisCounter[] counters,
        CancellationToken cancellationToken)
    {
        var args = new List<RedisValue>(8 + (_policies.Length * PolicyArgsPerPolicy) + (counters.Length * 2))
        {
            _prefix, chargeId, _retentionMs, units, tokens,
        };
        AddPolicyTable(args, at);
        args.Add(counters.Length);
        foreach (var c in counters)
        {
            args.Add(c.Info.Policy.Name);
            args.Add(c.Key);
        }

        var result = await EvalAsync(RedisLedgerScripts.Charge, [], [.. args], cancellationToken).ConfigureAwait(false);
        return result.Resp2Type == ResultType.Array ? ReadSettled((RedisResult[])result!) : null;
    }

    /// <summary>Read: each counter's spent and held amounts in its current window.</summary>
    public async Task<RedisCounterState[]> ReadAsync(RedisCounter[] counters, RedisLedgerWindow[] windows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var args = new RedisValue[2 + (counters.Length * 4)];
        args[0] = _prefix;
        args[1] = counters.Length;
        for (var i = 0; i < counters.Length; i++)
        {
            args[2 + (i * 4)] = counters[i].Info.Policy.Name;
            args[3 + (i * 4)] = counters[i].Key;
            args[4 + (i * 4)] = windows[i].Id;
            args[5 + (i * 4)] = windows[i].Bucket(now);
        }

        var reply = (RedisResult[])(await EvalAsync(RedisLedgerScripts.Read, [], args, cancellationToken).ConfigureAwait(false))!;
        var states = new RedisCounterState[counters.Length];
        for (var i = 0; i < states.Length; i++)
        {
            states[i] = ReadState(reply, i * StateWidth);
        }

        return states;
    }

    /// <summary>How many reservations are open in Redis (one <c>ZCARD</c>).</summary>
    public async Task<long> CountOpenAsync(CancellationToken cancellationToken) =>
        await WithinTimeoutAsync(db => db.SortedSetLengthAsync(_leaseKeys[0]), cancellationToken).ConfigureAwait(false);

    /// <summary>One <c>PING</c>, for health checks: the round-trip time.</summary>
    public async Task<TimeSpan> PingAsync(CancellationToken cancellationToken) =>
        await WithinTimeoutAsync(db => db.PingAsync(), cancellationToken).ConfigureAwait(false);

    /// <summary>Loads every script into each server's script cache and runs one empty read (no counters): no ledger state changes.</summary>
    public async Task WarmUpAsync()
    {
        var connection = await _connection.ConnectAsync().ConfigureAwait(false);
        foreach (var endpoint in connection.GetEndPoints())
        {
            var server = connection.GetServer(endpoint);
            foreach (var script in (string[])[RedisLedgerScripts.Reserve, RedisLedgerScripts.Settle, RedisLedgerScripts.Release, RedisLedgerScripts.Abandon, RedisLedgerScripts.Charge, RedisLedgerScripts.Read])
            {
                await server.ScriptLoadAsync(script).ConfigureAwait(false);
            }
        }

        await ReadAsync([], [], _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
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
            args.Add(w.TtlMs(now)); // 0 for a lifetime window: its spend never expires
            args.Add(p.CostLimitUnits);
            args.Add(p.TokenLimit);
            args.Add(p.Thresholds);
            args.Add(w.Bucket(at));
        }
    }

    // Settle and charge replies: {1, (policy, key, fired, spent, spentTokens, reserved, reservedTokens, requests) per counter}.
    private static List<RedisSettledCounter> ReadSettled(RedisResult[] reply)
    {
        var list = new List<RedisSettledCounter>((reply.Length - 1) / SettledWidth);
        for (var o = 1; o + SettledWidth - 1 < reply.Length; o += SettledWidth)
        {
            list.Add(new RedisSettledCounter((string)reply[o]!, (string)reply[o + 1]!, (long)reply[o + 2], ReadState(reply, o + 3)));
        }

        return list;
    }

    private static RedisCounterState ReadState(RedisResult[] reply, int offset) =>
        new((long)reply[offset], (long)reply[offset + 1], (long)reply[offset + 2], (long)reply[offset + 3], (long)reply[offset + 4]);

    private Task<RedisResult> EvalAsync(string script, RedisKey[] keys, RedisValue[] args, CancellationToken cancellationToken) =>
        WithinTimeoutAsync(db => db.ScriptEvaluateAsync(script, keys, args), cancellationToken);

    private async Task<T> WithinTimeoutAsync<T>(Func<IDatabase, Task<T>> operation, CancellationToken cancellationToken)
    {
        var run = RunAsync(operation);
        if (!run.IsCompleted)
        {
            // A reply that comes after the wait ended is dropped; observe its failure so it is not reported as unobserved.
            _ = run.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return await run.WaitAsync(_options.OperationTimeout, _time, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation)
    {
        var connection = await _connection.ConnectAsync().ConfigureAwait(false);
        if (!connection.IsConnected)
        {
            // Known to be down: fail now rather than queue the command behind a reconnect.
            throw new RedisNotConnectedException(_connection.Endpoint);
        }

        return await operation(connection.GetDatabase(_options.Database)).ConfigureAwait(false);
    }

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
}
