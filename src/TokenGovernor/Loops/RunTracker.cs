using System.Collections.Concurrent;

namespace TokenGovernor;

/// <summary>The state of every agent run the loop guard sees, by <see cref="GovernanceScope.Run"/>; at most
/// <see cref="LoopGuardOptions.MaxTrackedRuns"/> are kept, the least recently active forgotten first.</summary>
internal sealed class RunTracker(LoopGuardOptions options)
{
    private readonly ConcurrentDictionary<string, RunState> _runs = new(StringComparer.Ordinal);

    public int Count => _runs.Count;

    /// <summary>The run's state, created at its first call.</summary>
    public RunState Get(string runKey, DateTimeOffset now)
    {
        var run = _runs.GetOrAdd(runKey, static (_, now) => new RunState(now), now);
        if (_runs.Count > options.MaxTrackedRuns)
        {
            ForgetOldest();
        }

        return run;
    }

    private void ForgetOldest()
    {
        var excess = _runs.Count - options.MaxTrackedRuns;
        if (excess <= 0)
        {
            return;
        }

        // A tenth more than the excess, so a burst of new runs does not sort the table on every call.
        foreach (var (key, _) in _runs.OrderBy(r => r.Value.LastActive).Take(excess + (options.MaxTrackedRuns / 10)).ToList())
        {
            _runs.TryRemove(key, out _);
        }
    }
}
