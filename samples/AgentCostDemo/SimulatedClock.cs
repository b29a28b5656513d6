namespace AgentCostDemo;

/// <summary>The demo's clock: a simulated business day, moved forward by the workload, so records carry realistic times.</summary>
internal sealed class SimulatedClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);

    public void Set(DateTimeOffset time) => Interlocked.Exchange(ref _ticks, time.UtcTicks);
}
