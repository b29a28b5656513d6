using Microsoft.Extensions.Logging;

namespace TokenGovernor.Redis;

/// <summary>
/// Operations that could not reach Redis and must still happen: settles (the spend happened), releases, fail-open charges and
/// abandons of reserves that got no reply. Applied in order, oldest first, when Redis answers again; each is idempotent in Redis,
/// so one applied twice (a timeout whose command ran anyway) counts once. Bounded: beyond the limit the oldest is dropped, logged
/// and counted.
/// </summary>
internal sealed class RedisLedgerOutbox(int capacity, ILogger logger, Action onDropped)
{
    private readonly Queue<RedisPendingOperation> _queue = new();
    private int _draining;

    /// <summary>Gets how many operations wait.</summary>
    public int Count
    {
        get
        {
            lock (_queue)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Gets a value indicating whether a drain is running.</summary>
    public bool IsDraining => Volatile.Read(ref _draining) != 0;

    public void Enqueue(RedisPendingOperation operation)
    {
        lock (_queue)
        {
            if (_queue.Count >= capacity)
            {
                _queue.Dequeue();
                RedisLedgerLog.PendingDropped(logger, capacity);
                onDropped();
            }

            _queue.Enqueue(operation);
        }
    }

    /// <summary>Applies the queue in order until it is empty or Redis fails; one drain at a time (a second caller waits for the first).</summary>
    /// <param name="apply">Runs one operation against Redis.</param>
    /// <param name="stopOn">True for a failure that means Redis cannot be reached now: the operation stays queued and the drain stops.</param>
    /// <param name="applied">Called for each applied operation.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many were applied.</returns>
    public async Task<int> DrainAsync(Func<RedisPendingOperation, CancellationToken, Task> apply, Func<Exception, bool> stopOn,
        Action<RedisPendingOperation> applied, CancellationToken cancellationToken)
    {
        while (Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
        {
            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        var count = 0;
        try
        {
            while (true)
            {
                RedisPendingOperation op;
                lock (_queue)
                {
                    if (_queue.Count == 0)
                    {
                        break;
                    }

                    op = _queue.Peek();
                }

                try
                {
                    await apply(op, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (stopOn(ex))
                {
                    break;
                }

                lock (_queue)
                {
                    _queue.Dequeue();
                }

                count++;
                applied(op);
            }
        }
        finally
        {
            Volatile.Write(ref _draining, 0);
        }

        return count;
    }
}

/// <summary>What a queued operation is.</summary>
internal enum RedisPendingKind
{
    Settle,
    Release,
    Charge,
    Abandon,
}

/// <summary>A queued ledger operation.</summary>
/// <param name="Kind">Settle, release, fail-open charge or abandon.</param>
/// <param name="Id">The reservation id (settle, release).</param>
/// <param name="Units">The spend in nano-dollars (settle, charge).</param>
/// <param name="Tokens">The spend in tokens (settle, charge).</param>
/// <param name="At">When it happened: the window it is charged to.</param>
/// <param name="Counters">The counters a fail-open charge applies to.</param>
/// <param name="Token">The idempotency id of a fail-open charge, or the request token of an abandoned reserve.</param>
internal sealed record RedisPendingOperation(RedisPendingKind Kind, long Id, long Units, long Tokens, DateTimeOffset At, RedisCounter[] Counters, string? Token);
