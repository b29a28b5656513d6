using Microsoft.Extensions.Diagnostics.HealthChecks;
using TokenGovernor;
using TokenGovernor.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Redis budget ledger's health check with ASP.NET Core health checks.</summary>
public static class RedisHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds <see cref="RedisBudgetLedgerHealthCheck"/> for the app's <see cref="IBudgetLedger"/>, which must be the Redis ledger
    /// (<c>AddTokenGovernor(...).UseRedis(...)</c>).
    /// </summary>
    /// <param name="builder">The builder from <c>services.AddHealthChecks()</c>.</param>
    /// <param name="name">The check's name; defaults to <c>tokengovernor-redis</c>.</param>
    /// <param name="failureStatus">The status when Redis does not answer and the ledger fails closed; defaults to <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by (for example <c>ready</c>).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="InvalidOperationException">When the check runs and the registered ledger is not a <see cref="RedisBudgetLedger"/>.</exception>
    public static IHealthChecksBuilder AddTokenGovernorRedis(this IHealthChecksBuilder builder, string name = "tokengovernor-redis",
        HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(name, sp => new RedisBudgetLedgerHealthCheck(
            sp.GetService<IBudgetLedger>() as RedisBudgetLedger ?? throw new InvalidOperationException(
                "AddTokenGovernorRedis reports on the Redis budget ledger, but the registered IBudgetLedger is not a RedisBudgetLedger; call AddTokenGovernor(...).UseRedis(...) with ShareBudgets = true.")),
            failureStatus, tags));
    }
}
