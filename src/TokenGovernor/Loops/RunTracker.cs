using System.Collections.Concurrent;

namespace TokenGovernor;

/// <summary>The state of every agent run the loop guard sees, by <see cref="GovernanceScope.Run"/>; at most
/// <see cref="LoopGuardOptions.MaxTrackedRuns"/> are kept, the least recently active forgotten first.</summary>
internal sealed class RunTracker(LoopGuardOptions options)
{
    private readonly ConcurrentDictionary<string, RunState> _runs = new(StringComparer.Ordinal);

    // Kept beside the table: ConcurrentDictionary.Count takes every lock of the table (about 8 µs at 10,000 runs), too slow for
    // a check on every call.
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>The run's state, created at its first call.</summary>
    public RunState Get(string runKey, DateTimeOffset now)
    {
        while (true)
        {
            if (_runs.TryGetValue(runKey, out var run))
            {
                return run;
            }

            run = new RunState(now);
            if (_runs.TryAdd(runKey, run))
            {
                if (Interlocked.Increment(ref _count) > options.MaxTrackedRuns)
                {
                    ForgetOldest();
                }

                return run;
            }
        }
    }

    private void ForgetOldest()
    {
        var excess = Count - options.MaxTrackedRuns;
        if (excess <= 0)
        {
            return;
        }

        // A tenth more than the excess, so a burst of new runs does not sort the table on every call.
        foreach (var (key, _) in _runs.OrderBy(r => r.Value.LastActive).Take(excess + (options.MaxTrackedRuns / 10)).ToList())
        {
            if (_runs.TryRemove(key, out _))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }
}
