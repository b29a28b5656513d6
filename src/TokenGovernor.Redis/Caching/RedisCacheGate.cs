using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace TokenGovernor.Redis;

/// <summary>
/// Every Redis operation of the shared caches goes through here, so a cache never fails or stalls a call: an operation waits at
/// most the timeout, and when it times out, fails, finds the connection down or still opening, or comes while the gate backs off,
/// it reports "not reached" and the cache treats that as a miss (lookup) or a skipped write (store).
/// </summary>
/// <remarks>
/// <para>Caches fail open whatever the ledger's <see cref="RedisBudgetLedgerOptions.FailurePolicy"/> (that policy is about spend;
/// a cache miss only costs a provider call).</para>
/// <para>Back-off: after a timeout or an error the caches leave Redis alone for the retry interval, so an outage costs one
/// timeout per interval, not one per call. A connection known to be down (or still opening) is skipped at once, without a wait.
/// Unlike the ledger's <see cref="RedisHealthGate"/>, one timeout is enough to back off: a miss costs a provider call, never a
/// refusal, so caches prefer a few seconds of misses to a stall on every call.</para>
/// <para>The outage is logged once (event 6102) and its end once (6103); every operation that did not reach Redis is counted on
/// <c>token_governor.cache.fallbacks</c> (tags <c>token_governor.cache.kind</c>, <c>operation</c>, <c>reason</c>). Thread-safe.</para>
/// </remarks>
internal sealed class RedisCacheGate
{
    private static readonly Meter s_meter = new(TokenGovernorDiagnostics.MeterName);
    private readonly RedisConnectionSource _connection;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _retryInterval;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Counter<long> _fallbacks;
    private long _retryAtTicks;
    private int _down;

    public RedisCacheGate(RedisConnectionSource connection, TimeSpan timeout, TimeSpan retryInterval, TimeProvider? timeProvider = null,
        ILogger? logger = null, IMeterFactory? meterFactory = null)
    {
        _connection = connection;
        _timeout = timeout;
        _retryInterval = retryInterval;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _fallbacks = (meterFactory?.Create(TokenGovernorDiagnostics.MeterName) ?? s_meter).CreateCounter<long>("token_governor.cache.fallbacks", "{operation}",
            "Shared-cache operations that did not reach Redis (timed out, failed, not connected or backing off) and were treated as a miss or a skipped write.");
    }

    /// <summary>Gets a value indicating whether the caches skip Redis for now (after a timeout or an error).</summary>
    public bool IsBackingOff => _time.GetUtcNow().UtcTicks < Interlocked.Read(ref _retryAtTicks);

    /// <summary>Runs <paramref name="operation"/> within the timeout. Returns whether it reached Redis, and its result.</summary>
    /// <exception cref="OperationCanceledException">Only when <paramref name="cancellationToken"/> is cancelled.</exception>
    public async ValueTask<(bool Reached, T? Value)> TryAsync<T>(string kind, string operation, Func<IDatabase, CancellationToken, Task<T>> run,
        int database, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Usable(kind, operation) is not { } connection)
        {
            return default;
        }

        Task<T> task;
        try
        {
            task = run(connection.GetDatabase(database), cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Failed(kind, operation, ex);
            return default;
        }

        if (!task.IsCompleted)
        {
            // A reply that comes after the wait ended is dropped; observe its failure so it is not reported as unobserved.
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        try
        {
            var value = await task.WaitAsync(_timeout, _time, cancellationToken).ConfigureAwait(false);
            Succeeded();
            return (true, value);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Failed(kind, operation, ex);
            return default;
        }
    }

    /// <summary>The connection when Redis may be asked now; otherwise counts why not and returns <see langword="null"/>.</summary>
    public IConnectionMultiplexer? Usable(string kind, string operation)
    {
        if (IsBackingOff)
        {
            Count(kind, operation, "backing-off");
            return null;
        }

        var connect = _connection.ConnectAsync();
        if (!connect.IsCompletedSuccessfully)
        {
            if (connect.IsCompleted)
            {
                Down(kind, operation, "not-connected", connect.Exception?.GetBaseException().Message ?? "the connection could not be opened", backOff: false);
            }
            else
            {
                Count(kind, operation, "not-connected"); // still opening (start-up): not an outage yet
            }

            return null;
        }

        var connection = connect.Result;
        if (!connection.IsConnected)
        {
            // Known to be down: skip now rather than queue the command behind a reconnect.
            Down(kind, operation, "not-connected", "not connected", backOff: false);
            return null;
        }

        return connection;
    }

    /// <summary>Records a failed operation (a timeout or an error): counts it, backs off, and logs the outage once.</summary>
    public void Failed(string kind, string operation, Exception exception)
    {
        var timedOut = exception is TimeoutException;
        Down(kind, operation, timedOut ? "timeout" : "error", timedOut
            ? string.Create(CultureInfo.InvariantCulture, $"no reply within {_timeout.TotalMilliseconds:0} ms")
            : exception.GetType().Name + ": " + exception.Message, backOff: true);
    }

    /// <summary>Records a reply from Redis; logs the end of an outage once.</summary>
    public void Succeeded()
    {
        if (Volatile.Read(ref _down) != 0 && Interlocked.Exchange(ref _down, 0) != 0)
        {
            RedisCacheLog.Recovered(_logger, _connection.Endpoint);
        }
    }

    private void Down(string kind, string operation, string reason, string error, bool backOff)
    {
        if (backOff && _retryInterval > TimeSpan.Zero)
        {
            Interlocked.Exchange(ref _retryAtTicks, (_time.GetUtcNow() + _retryInterval).UtcTicks);
        }

        Count(kind, operation, reason);
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            RedisCacheLog.Unavailable(_logger, kind, operation, error, _connection.Endpoint, _retryInterval.TotalMilliseconds);
        }
    }

    private void Count(string kind, string operation, string reason)
    {
        if (_fallbacks.Enabled)
        {
            _fallbacks.Add(1, new KeyValuePair<string, object?>("token_governor.cache.kind", kind),
                new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("reason", reason));
        }
    }
}
