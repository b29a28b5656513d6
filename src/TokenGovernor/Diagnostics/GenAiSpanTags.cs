using System.Diagnostics;

namespace TokenGovernor;

/// <summary>
/// Puts a call's cost and governance onto the current span: the gen_ai span that M.E.AI's <c>UseOpenTelemetry()</c> started, when
/// it sits above the metering layer. TokenGovernor starts no span of its own.
/// </summary>
/// <remarks>
/// Cost tags follow the names proposed for the OpenTelemetry GenAI conventions (<c>gen_ai.usage.cost.*</c>). When one span covers
/// several provider calls (a tool loop or retries below <c>UseOpenTelemetry()</c>), their costs add up on it.
/// </remarks>
internal static class GenAiSpanTags
{
    /// <summary>Tags the span with one metered provider call, and with what the layers above decided for it (<paramref name="context"/>).</summary>
    public static void Add(Activity? activity, decimal callCost, bool estimated, GovernanceContext context)
    {
        if (activity is null || !activity.IsAllDataRequested)
        {
            return;
        }

        var cost = callCost;
        if (activity.GetTagItem(TokenGovernorDiagnostics.CostAmountTag) is double previous)
        {
            cost += (decimal)previous;
        }

        activity.SetTag(TokenGovernorDiagnostics.CostAmountTag, (double)cost);
        activity.SetTag(TokenGovernorDiagnostics.CostCurrencyTag, "USD");
        var source = estimated ? "estimated" : "provider_usage";
        if (activity.GetTagItem(TokenGovernorDiagnostics.CostSourceTag) is string earlier && earlier != source)
        {
            source = "mixed";
        }

        activity.SetTag(TokenGovernorDiagnostics.CostSourceTag, source);
        SetIfPresent(activity, TokenGovernorDiagnostics.TenantTag, context.Scope.Tenant);
        SetIfPresent(activity, TokenGovernorDiagnostics.FeatureTag, context.Scope.Feature);
        activity.SetTag(TokenGovernorDiagnostics.CacheStatusTag, context.Cache switch
        {
            CacheStatus.Exact => "exact",
            CacheStatus.Semantic => "semantic",
            _ => "miss",
        });
        SetIfPresent(activity, TokenGovernorDiagnostics.RoutedTierTag, context.Routing?.Tier);
        var degradations = context.Degradations();
        if (degradations.Count > 0)
        {
            activity.SetTag(TokenGovernorDiagnostics.DegradationsTag, string.Join(",", degradations));
        }

        if (context.BudgetUtilization is { } utilization)
        {
            activity.SetTag(TokenGovernorDiagnostics.BudgetUtilizationTag, Math.Round(utilization, 4));
        }
    }

    private static void SetIfPresent(Activity activity, string name, string? value)
    {
        if (value is not null)
        {
            activity.SetTag(name, value);
        }
    }
}
