using Microsoft.Extensions.Diagnostics.HealthChecks;
using TokenGovernor;

namespace AspNetCoreChat;

/// <summary>Healthy when the spend store answers a query and its sink has dropped nothing; degraded when records were dropped.</summary>
public sealed class SpendStoreHealthCheck(ISpendStore store, SpendStoreSink sink, TimeProvider time) : IHealthCheck
{
    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var data = new Dictionary<string, object>
        {
            ["store"] = store.GetType().Name,
            ["written"] = sink.WrittenRecords,
            ["queued"] = sink.QueuedRecords,
            ["dropped"] = sink.DroppedRecords,
        };
        try
        {
            var now = time.GetUtcNow();
            _ = await store.QueryAsync(new SpendQuery { From = now, To = now.AddSeconds(1) }, cancellationToken); // an empty range: cheap
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"The spend store ({store.GetType().Name}) cannot be queried: {ex.Message}", ex, data);
        }

        return sink.DroppedRecords > 0
            ? HealthCheckResult.Degraded($"The spend store sink dropped {sink.DroppedRecords} records (queue full or failed writes).", data: data)
            : HealthCheckResult.Healthy("The spend store answers.", data);
    }
}
