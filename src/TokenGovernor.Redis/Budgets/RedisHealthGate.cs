using StackExchange.Redis;

namespace TokenGovernor.Redis;

/// <summary>
/// Decides when the ledger stops asking Redis and goes straight to its failure policy: a short circuit breaker.
/// </summary>
/// <remarks>
/// <para>A lost connection (Redis down, restarting, refusing) opens the gate at once for
/// <see cref="RedisBudgetLedgerOptions.RetryInterval"/>: every call after it would fail the same way.</para>
/// <para>Timeouts open it only when Redis has stopped answering: <see cref="RedisBudgetLedgerOptions.TimeoutsBeforeBreaking"/>
/// operations in a row time out, and nothing has succeeded for <see cref="RedisBudgetLedgerOptions.RetryInterval"/> (counted from
/// the last success, or from start-up). One slow reply, or a burst of them (a busy host, a GC pause, a cold start where the
/// first calls of 16 callers all wait on the JIT), fails only those operations and leaves the ledger open to every other caller;
/// a Redis that stops answering (CLIENT PAUSE, overload) costs each caller at most one <c>OperationTimeout</c> per call for one
/// <c>RetryInterval</c>, then calls go straight to the failure policy.</para>
/// <para>Any success closes the gate and resets the count.</para>
/// </remarks>
internal sealed class RedisHealthGate(TimeProvider time, TimeSpan retryInterval, int timeoutsBeforeBreaking)
{
    private long _lastSuccessTicks = time.GetUtcNow().UtcTicks;
    private long _retryAtTicks;
    private int _timeoutsInARow;
    private string? _lastFailure;

    /// <summary>Gets a value indicating whether calls skip Redis until the retry time.</summary>
    public bool IsOpen => time.GetUtcNow().UtcTicks < Interlocked.Read(ref _retryAtTicks);

    /// <summary>Gets what the last failure was, as a short phrase ("timed out after 500 ms", "not connected to Redis at …").</summary>
    public string? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Gets how many operations in a row have timed out.</summary>
    public int TimeoutsInARow => Volatile.Read(ref _timeoutsInARow);

    /// <summary>Records a failure. Returns true when it opened the gate after it had been closed (log it once).</summary>
    public bool Failed(Exception ex, TimeSpan timeout)
    {
        var timedOut = ex is TimeoutException or RedisTimeoutException or OperationCanceledException;
        Volatile.Write(ref _lastFailure, timedOut
            ? FormattableString.Invariant($"no reply within {timeout.TotalMilliseconds:0} ms")
            : ex.GetType().Name + ": " + ex.Message);
        if (timedOut && (Interlocked.Increment(ref _timeoutsInARow) < timeoutsBeforeBreaking ||
            time.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastSuccessTicks) < retryInterval.Ticks))
        {
            return false;
        }

        return Interlocked.Exchange(ref _retryAtTicks, (time.GetUtcNow() + retryInterval).UtcTicks) == 0;
    }

    /// <summary>Records a success. Returns true when the gate had been open (Redis is back).</summary>
    public bool Succeeded()
    {
        Interlocked.Exchange(ref _lastSuccessTicks, time.GetUtcNow().UtcTicks);
        if (Volatile.Read(ref _timeoutsInARow) != 0)
        {
            Volatile.Write(ref _timeoutsInARow, 0);
        }

        return Interlocked.Read(ref _retryAtTicks) != 0 && Interlocked.Exchange(ref _retryAtTicks, 0) != 0;
    }
}
