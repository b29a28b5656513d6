using Microsoft.Extensions.Diagnostics.HealthChecks;
using TokenGovernor;

namespace AspNetCoreChat;

/// <summary>Healthy when the budget ledger answers a read of the budgets that cover every call (the global ones).</summary>
public sealed class BudgetLedgerHealthCheck(IBudgetLedger ledger) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var usage = ledger.GetUsage(GovernanceScope.Empty);
            var data = new Dictionary<string, object> { ["ledger"] = ledger.GetType().Name, ["budgets"] = usage.Count };
            var over = usage.Where(u => u.Utilization >= 1).Select(u => u.Policy.Name).ToList();
            return Task.FromResult(over.Count > 0
                ? HealthCheckResult.Degraded($"Budgets exhausted: {string.Join(", ", over)}; calls they cover are refused.", data: data)
                : HealthCheckResult.Healthy("The ledger answers.", data));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"The budget ledger ({ledger.GetType().Name}) cannot be read: {ex.Message}", ex));
        }
    }
}
