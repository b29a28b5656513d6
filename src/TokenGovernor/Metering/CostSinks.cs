using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>Delivers a record to every sink; a failing sink is logged and never fails the call.</summary>
internal static class CostSinks
{
    public static void Publish(ICostSink[] sinks, GovernanceRecord record, ILogger logger)
    {
        foreach (var sink in sinks)
        {
            try
            {
                sink.Record(record);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                MeteringLog.SinkFailed(logger, ex, sink.GetType().Name);
            }
        }
    }
}
