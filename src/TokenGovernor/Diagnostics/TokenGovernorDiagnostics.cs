namespace TokenGovernor;

/// <summary>The names under which TokenGovernor publishes telemetry.</summary>
/// <remarks>
/// Instruments of the <see cref="MeterName"/> meter:
/// <list type="bullet">
/// <item><description><c>gen_ai.client.token.usage</c> (histogram, <c>{token}</c>), tagged <c>gen_ai.token.type</c> = <c>input</c> | <c>output</c>,
/// <c>gen_ai.operation.name</c>, <c>gen_ai.request.model</c>, <c>gen_ai.response.model</c>: the OpenTelemetry GenAI semantic convention.</description></item>
/// <item><description><c>token_governor.client.cost</c> (counter, <c>{USD}</c>): cost of metered calls, tagged with the models,
/// <c>token_governor.tenant</c>, <c>token_governor.feature</c> and <c>token_governor.usage_estimated</c>.</description></item>
/// <item><description><c>token_governor.cache.lookups</c> (counter, <c>{lookup}</c>) and <c>token_governor.savings</c> (counter, <c>{USD}</c>):
/// cache hits and misses, and the cost they avoided, counted once per hit.</description></item>
/// </list>
/// </remarks>
public static class TokenGovernorDiagnostics
{
    /// <summary>The name of TokenGovernor's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "TokenGovernor";

    /// <summary>The name of TokenGovernor's <see cref="System.Diagnostics.ActivitySource"/> (TokenGovernor tags <c>Activity.Current</c> rather than starting spans).</summary>
    public const string ActivitySourceName = "TokenGovernor";

    /// <summary>The token usage histogram (OpenTelemetry GenAI semantic convention name).</summary>
    public const string TokenUsageInstrument = "gen_ai.client.token.usage";

    /// <summary>The cost counter, in US dollars.</summary>
    public const string CostInstrument = "token_governor.client.cost";

    /// <summary>The response cache lookup counter, tagged <c>token_governor.cache.kind</c> = <c>exact</c> | <c>semantic</c> and <c>token_governor.cache.result</c> = <c>hit</c> | <c>miss</c>.</summary>
    public const string CacheLookupsInstrument = "token_governor.cache.lookups";

    /// <summary>The degradation counter, tagged <c>token_governor.step</c> (for example <c>cap-output</c>, <c>budget-exhausted</c>).</summary>
    public const string DegradationsInstrument = "token_governor.budget.degradations";

    /// <summary>The budget utilization histogram (fraction of the tightest applicable budget used when a call is admitted).</summary>
    public const string BudgetUtilizationInstrument = "token_governor.budget.utilization";

    /// <summary>The savings counter, in US dollars, tagged <c>token_governor.mechanism</c> (for example <c>cache.exact</c>, <c>cache.semantic</c>).</summary>
    public const string SavingsInstrument = "token_governor.savings";

    /// <summary>The budget utilization gauge: (spent + reserved) / limit of each budget seen recently, tagged
    /// <c>token_governor.budget.policy</c> and <c>token_governor.budget.key</c>, observed when the meter is collected.</summary>
    public const string BudgetWindowUtilizationInstrument = "token_governor.budget.window_utilization";

    /// <summary>The budget alert counter of the alert sinks (the webhook sink in TokenGovernor.Alerts), tagged <c>token_governor.alert.kind</c> =
    /// <c>threshold_crossed</c> | <c>refused</c> and <c>token_governor.alert.outcome</c> = <c>sent</c> | <c>failed</c> | <c>dropped</c>.</summary>
    public const string AlertsInstrument = "token_governor.alerts";

    /// <summary>Span tag: the cost of the call(s) the span covers, in <see cref="CostCurrencyTag"/> (proposed GenAI convention).</summary>
    public const string CostAmountTag = "gen_ai.usage.cost.amount";

    /// <summary>Span tag: the currency of <see cref="CostAmountTag"/>, always <c>USD</c>.</summary>
    public const string CostCurrencyTag = "gen_ai.usage.cost.currency";

    /// <summary>Span tag: where the cost comes from: <c>provider_usage</c> (the provider's reported usage, priced), <c>estimated</c>
    /// (tokenizer estimate, the provider reported none) or <c>mixed</c>.</summary>
    public const string CostSourceTag = "gen_ai.usage.cost.source";

    /// <summary>Span and metric tag: the tenant of the call's scope.</summary>
    public const string TenantTag = "token_governor.tenant";

    /// <summary>Span and metric tag: the feature of the call's scope.</summary>
    public const string FeatureTag = "token_governor.feature";

    /// <summary>Span tag: <c>miss</c>, <c>exact</c> or <c>semantic</c>.</summary>
    public const string CacheStatusTag = "token_governor.cache.status";

    /// <summary>Span tag: the routing tier that answered.</summary>
    public const string RoutedTierTag = "token_governor.routing.tier";

    /// <summary>Span tag: the degradation steps applied, comma-separated.</summary>
    public const string DegradationsTag = "token_governor.degradations";

    /// <summary>Span tag: the utilization of the tightest budget before the call.</summary>
    public const string BudgetUtilizationTag = "token_governor.budget.utilization";
}
