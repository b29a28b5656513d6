namespace TokenGovernor;

/// <summary>Receives one <see cref="GovernanceRecord"/> per metered provider call and per cache hit.</summary>
/// <remarks>
/// <see cref="Record"/> runs on the call's path: it must be fast, must not block, and must be thread-safe. A sink that writes to
/// a database should queue the record and write in the background. An exception thrown by a sink is logged and does not fail
/// the call.
/// </remarks>
public interface ICostSink
{
    /// <summary>Records one call.</summary>
    /// <param name="record">What governance did for the call, with its usage and cost.</param>
    void Record(GovernanceRecord record);
}
