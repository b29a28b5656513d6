namespace TokenGovernor;

/// <summary>The registered <see cref="SpendStoreSink"/> among the <see cref="ICostSink"/>s; the sink itself is a singleton of its own,
/// disposed (and so flushed) once by the container.</summary>
internal sealed class SpendStoreSinkRegistration(SpendStoreSink sink) : ICostSink
{
    public void Record(GovernanceRecord record) => sink.Record(record);
}
