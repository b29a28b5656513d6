using System.Collections.Concurrent;

namespace TokenGovernor.Testing;

/// <summary>A cost sink that keeps every record.</summary>
public sealed class RecordingSink : ICostSink
{
    public ConcurrentQueue<GovernanceRecord> Records { get; } = new();

    public void Record(GovernanceRecord record) => Records.Enqueue(record);
}
