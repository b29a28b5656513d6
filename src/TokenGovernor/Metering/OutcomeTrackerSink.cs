namespace TokenGovernor;

/// <summary>Forwards to the DI singleton <see cref="OutcomeTracker"/> so it is one instance among the sinks and as itself.</summary>
internal sealed class OutcomeTrackerSink(OutcomeTracker tracker) : ICostSink
{
    public void Record(GovernanceRecord record) => tracker.Record(record);
}
