namespace TokenGovernor.Cli;

/// <summary>A clock the replayer sets to each recorded call's time, so budget windows roll over as they did live.</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Moves the clock forward to <paramref name="time"/> (never back: out-of-order lines keep the latest time).</summary>
    public void AdvanceTo(DateTimeOffset time)
    {
        long current;
        do
        {
            current = Interlocked.Read(ref _ticks);
            if (time.UtcTicks <= current)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _ticks, time.UtcTicks, current) != current);
    }
}
