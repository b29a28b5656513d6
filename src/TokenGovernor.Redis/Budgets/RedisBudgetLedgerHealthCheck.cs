using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace TokenGovernor.Redis;

/// <summary>
/// Reports the Redis budget ledger's health: <see cref="HealthStatus.Healthy"/> when Redis answers a <c>PING</c> within
/// <see cref="RedisBudgetLedgerOptions.OperationTimeout"/> and nothing waits to be reconciled; <see cref="HealthStatus.Degraded"/>
/// when Redis answers but queued operations still wait, or when it does not answer and the ledger fails open (calls are admitted
/// on a local share); and the registration's failure status (by default <see cref="HealthStatus.Unhealthy"/>) when Redis does
/// not answer and the ledger fails closed (calls are refused).
/// </summary>
/// <remarks>Register it with <c>services.AddHealthChecks().AddTokenGovernorRedis()</c>. The report's data carries the endpoint,
/// the failure policy, the pending operations, whether the ledger currently skips Redis, and the last failure.</remarks>
public sealed class RedisBudgetLedgerHealthCheck : IHealthCheck
{
    private readonly RedisBudgetLedger _ledger;

    /// <summary>Initializes a new instance.</summary>
    /// <param name="ledger">The ledger to report on.</param>
    public RedisBudgetLedgerHealthCheck(RedisBudgetLedger ledger)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        _ledger = ledger;
    }

    /// <inheritdoc />
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = _ledger.Options;
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["endpoint"] = _ledger.Endpoint,
            ["failurePolicy"] = options.FailurePolicy.ToString(),
            ["pendingOperations"] = _ledger.PendingOperations,
            ["skippingRedis"] = _ledger.IsDegraded,
        };
        TimeSpan rtt;
        try
        {
            rtt = await _ledger.Scripts.PingAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (_ledger.LastFailure is { } last)
            {
                data["lastFailure"] = last;
            }

            var what = ex is TimeoutException
                ? FormattableString.Invariant($"did not answer within RedisBudgetLedgerOptions.OperationTimeout ({options.OperationTimeout.TotalMilliseconds:0} ms)")
                : "cannot be reached (" + ex.Message + ")";
            var effect = options.FailurePolicy == RedisFailurePolicy.FailOpen
                ? "calls are admitted on each instance's local share of the budgets (FailurePolicy = FailOpen)"
                : "calls under Redis budgets are refused (FailurePolicy = FailClosed)";
            var description = $"Redis budget ledger: Redis at {_ledger.Endpoint} {what}; {effect}.";
            return options.FailurePolicy == RedisFailurePolicy.FailOpen
                ? HealthCheckResult.Degraded(description, ex, data)
                : new HealthCheckResult(context.Registration.FailureStatus, description, ex, data);
        }

        data["pingMs"] = Math.Round(rtt.TotalMilliseconds, 3);
        var pending = _ledger.PendingOperations;
        return pending > 0
            ? HealthCheckResult.Degraded(string.Create(CultureInfo.InvariantCulture, $"Redis budget ledger: Redis at {_ledger.Endpoint} answers; {pending} queued operations wait to be reconciled."), data: data)
            : HealthCheckResult.Healthy($"Redis budget ledger: Redis at {_ledger.Endpoint} answers.", data);
    }
}
