using System.Collections.Concurrent;

namespace TokenGovernor;

/// <summary>
/// Counts failed calls per scope key (session, else tenant) in a sliding window; at <see cref="LoopGuardOptions.RetryStormFailures"/>
/// failures within <see cref="LoopGuardOptions.RetryStormWindow"/> the key is in a retry storm until they age out.
/// </summary>
/// <remarks>A key whose failures have all aged out is forgotten, and at most <see cref="LoopGuardOptions.MaxTrackedScopes"/> keys are
/// kept, so the table does not grow with every session ever seen. Over the cap, the keys with the fewest failures in the window go
/// first (then the least recently failed): they are the furthest from a storm, so a storming session is the last to be forgotten.</remarks>
internal sealed class RetryStormDetector(LoopGuardOptions options)
{
    private readonly ConcurrentDictionary<string, History> _failures = new(StringComparer.Ordinal);

    // Kept beside the table: ConcurrentDictionary.Count takes every lock of the table, too slow for a check on every failure.
    private int _count;

    /// <summary>Gets the number of keys with failure history held.</summary>
    public int TrackedScopes => Volatile.Read(ref _count);

    /// <summary>Records one failed call of <paramref name="key"/>.</summary>
    public void RecordFailure(string key, DateTimeOffset now)
    {
        while (true)
        {
            var history = GetOrAdd(key);
            lock (history)
            {
                if (history.Forgotten)
                {
                    continue; // swept away between the lookup and the lock: add to the one that replaces it
                }

                history.Failures.Enqueue(now.UtcTicks);
                history.LastTicks = now.UtcTicks;
                history.InWindow = history.Failures.Count;
                break;
            }
        }

        if (TrackedScopes > options.MaxTrackedScopes)
        {
            Sweep(now);
        }
    }

    /// <summary>The number of failures of <paramref name="key"/> within the window when it is in a storm, else <see langword="null"/>.</summary>
    public int? Storm(string key, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var history))
        {
            return null;
        }

        lock (history)
        {
            if (AgeOut(history, now))
            {
                Forget(key, history);
                return null;
            }

            return history.Failures.Count >= options.RetryStormFailures ? history.Failures.Count : null;
        }
    }

    private void Sweep(DateTimeOffset now)
    {
        foreach (var (key, history) in _failures)
        {
            lock (history)
            {
                if (AgeOut(history, now))
                {
                    Forget(key, history);
                }
            }
        }

        var excess = TrackedScopes - options.MaxTrackedScopes;
        if (excess <= 0)
        {
            return;
        }

        // Still over the cap with live histories: forget those furthest from a storm, a tenth more so the next sweep is not at once.
        var victims = _failures.Select(kv => (kv.Key, kv.Value, kv.Value.InWindow, kv.Value.LastTicks))
            .OrderBy(v => v.InWindow).ThenBy(v => v.LastTicks).Take(excess + (options.MaxTrackedScopes / 10)).ToList();
        foreach (var (key, history, _, _) in victims)
        {
            lock (history)
            {
                Forget(key, history);
            }
        }
    }

    // Drops failures older than the window; true when none is left. Called under the history's lock.
    private bool AgeOut(History history, DateTimeOffset now)
    {
        var oldest = now.UtcTicks - options.RetryStormWindow.Ticks;
        while (history.Failures.Count > 0 && history.Failures.Peek() <= oldest)
        {
            history.Failures.Dequeue();
        }

        history.InWindow = history.Failures.Count;
        return history.Failures.Count == 0;
    }

    // Called under the history's lock, so no failure is added to a history after it left the table.
    private void Forget(string key, History history)
    {
        history.Forgotten = true;
        if (_failures.TryRemove(KeyValuePair.Create(key, history)))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    private History GetOrAdd(string key)
    {
        while (true)
        {
            if (_failures.TryGetValue(key, out var history))
            {
                return history;
            }

            history = new History();
            if (_failures.TryAdd(key, history))
            {
                Interlocked.Increment(ref _count);
                return history;
            }
        }
    }

    private sealed class History
    {
        public long LastTicks { get; set; }

        public int InWindow { get; set; }

        public Queue<long> Failures { get; } = new();

        public bool Forgotten { get; set; }
    }
}
