using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>
/// The budget layer's hook to the alert sinks: it subscribes each sink once to a ledger's <see cref="IBudgetLedger.ThresholdCrossed"/>
/// (however many pipelines share that ledger) and hands refusals over. Never throws into the call.
/// </summary>
internal static class BudgetAlerts
{
    private static readonly ConditionalWeakTable<IBudgetLedger, HashSet<IBudgetAlertSink>> s_watched = [];

    /// <summary>Subscribes every sink not yet watching <paramref name="ledger"/> to its threshold crossings.</summary>
    public static void Watch(IBudgetLedger ledger, IBudgetAlertSink[] sinks, TimeProvider time, ILogger logger)
    {
        if (sinks.Length == 0)
        {
            return;
        }

        var watching = s_watched.GetOrCreateValue(ledger);
        lock (watching)
        {
            foreach (var sink in sinks)
            {
                if (watching.Add(sink))
                {
                    ledger.ThresholdCrossed += (_, e) => Deliver(sink, Crossing(e, time.GetUtcNow()), logger);
                }
            }
        }
    }

    /// <summary>Tells every sink that a call was refused.</summary>
    public static void Refused(IBudgetAlertSink[] sinks, GovernanceScope scope, string reason, BudgetDenial? denial, BudgetUsage? binding, DateTimeOffset now,
        ILogger logger)
    {
        if (sinks.Length == 0)
        {
            return;
        }

        var alert = denial is not null
            ? new BudgetAlert
            {
                Kind = BudgetAlertKind.Refused,
                Timestamp = now,
                Scope = scope,
                Reason = reason,
                Policy = denial.Policy.Name,
                Key = denial.Key,
                Spent = denial.Spent,
                Limit = denial.Limit,
                IsTokenLimit = denial.IsTokenLimit,
                IsRequestLimit = denial.IsRequestLimit,
                RetryAfter = denial.RetryAfter,
                Utilization = denial.Limit > 0 ? (double)((denial.Spent + denial.Reserved) / denial.Limit) : null,
                WindowResetsAt = denial.WindowResetsAt,
            }
            : binding is not null ? FromUsage(binding, BudgetAlertKind.Refused, now) with { Scope = scope, Reason = reason }
            : new BudgetAlert { Kind = BudgetAlertKind.Refused, Timestamp = now, Scope = scope, Reason = reason };

        foreach (var sink in sinks)
        {
            Deliver(sink, alert, logger);
        }
    }

    internal static BudgetAlert Crossing(BudgetThresholdCrossedEventArgs e, DateTimeOffset now) =>
        FromUsage(e.Usage, BudgetAlertKind.ThresholdCrossed, now) with { Threshold = e.Threshold };

    private static BudgetAlert FromUsage(BudgetUsage usage, BudgetAlertKind kind, DateTimeOffset now)
    {
        var tokens = usage.Policy.CostLimit is null && usage.Policy.TokenLimit is not null;
        return new BudgetAlert
        {
            Kind = kind,
            Timestamp = now,
            Policy = usage.Policy.Name,
            Key = usage.Key,
            Utilization = usage.Utilization,
            Spent = tokens ? usage.SpentTokens : usage.SpentCost,
            Limit = tokens ? usage.Policy.TokenLimit : usage.Policy.CostLimit,
            IsTokenLimit = tokens,
            WindowResetsAt = usage.WindowResetsAt,
        };
    }

    private static void Deliver(IBudgetAlertSink sink, BudgetAlert alert, ILogger logger)
    {
        try
        {
            sink.Publish(alert);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            AlertLog.SinkFailed(logger, ex, sink.GetType().Name, alert.Kind);
        }
    }
}
