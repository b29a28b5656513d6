using System.Globalization;

namespace TokenGovernor;

/// <summary>
/// The columns every spend store keeps for a <see cref="GovernanceRecord"/>, in one order, and the mapping both ways; SQL stores
/// create one column per entry (money as exact decimals, times as UTC ticks, the UTC day as <c>yyyy-MM-dd</c>).
/// </summary>
internal static class SpendColumns
{
    public const string Table = "tg_call";

    public static readonly (string Name, SpendColumnType Type)[] All =
    [
        ("ts", SpendColumnType.Integer),
        ("day", SpendColumnType.Text),
        ("duration_ticks", SpendColumnType.Integer),
        ("tenant", SpendColumnType.Text),
        ("feature", SpendColumnType.Text),
        ("session", SpendColumnType.Text),
        ("run", SpendColumnType.Text),
        ("streaming", SpendColumnType.Integer),
        ("requested_model", SpendColumnType.Text),
        ("model", SpendColumnType.Text),
        ("priced_model", SpendColumnType.Text),
        ("uncached_input_tokens", SpendColumnType.Integer),
        ("cached_input_tokens", SpendColumnType.Integer),
        ("cache_write_tokens", SpendColumnType.Integer),
        ("output_tokens", SpendColumnType.Integer),
        ("reasoning_tokens", SpendColumnType.Integer),
        ("input_tokens", SpendColumnType.Integer),
        ("total_output_tokens", SpendColumnType.Integer),
        ("usage_estimated", SpendColumnType.Integer),
        ("cost_input", SpendColumnType.Money),
        ("cost_cached_input", SpendColumnType.Money),
        ("cost_cache_write", SpendColumnType.Money),
        ("cost_output", SpendColumnType.Money),
        ("cost_reasoning", SpendColumnType.Money),
        ("cost", SpendColumnType.Money),
        ("provider_calls", SpendColumnType.Integer),
        ("cache", SpendColumnType.Text),
        ("cache_similarity", SpendColumnType.Real),
        ("cost_avoided", SpendColumnType.Money),
        ("budget_reserved", SpendColumnType.Money),
        ("budget_settled", SpendColumnType.Money),
        ("budget_utilization", SpendColumnType.Real),
        ("route_requested_model", SpendColumnType.Text),
        ("route_tier", SpendColumnType.Text),
        ("route_model", SpendColumnType.Text),
        ("route_score", SpendColumnType.Real),
        ("route_reasons", SpendColumnType.Text),
        ("route_escalations", SpendColumnType.Integer),
        ("route_top_tier_cost", SpendColumnType.Money),
        ("refusal", SpendColumnType.Text),
        ("degradations", SpendColumnType.Text),
        ("shadow_actions", SpendColumnType.Text),
    ];

    private const char ListSeparator = '\n';

    public static object?[] Values(GovernanceRecord r)
    {
        var u = r.Usage;
        var c = r.Cost;
        var route = r.Routing;
        return
        [
            r.Timestamp.UtcTicks,
            Day(r.Timestamp),
            r.Duration.Ticks,
            r.Scope.Tenant,
            r.Scope.Feature,
            r.Scope.Session,
            r.Scope.Run,
            r.Streaming ? 1L : 0L,
            r.RequestedModelId,
            r.ModelId,
            r.PricedModelId,
            u.UncachedInputTokens,
            u.CachedInputTokens,
            u.CacheWriteTokens,
            u.OutputTokens,
            u.ReasoningTokens,
            u.TotalInputTokens,
            u.TotalOutputTokens,
            r.UsageEstimated ? 1L : 0L,
            c.Input,
            c.CachedInput,
            c.CacheWrite,
            c.Output,
            c.Reasoning,
            c.Total,
            (long)r.ProviderCalls,
            r.Cache.ToString(),
            r.CacheSimilarity,
            r.CostAvoided,
            r.BudgetReserved,
            r.BudgetSettled,
            r.BudgetUtilization,
            route?.RequestedModelId,
            route?.Tier,
            route?.ModelId,
            route?.Score,
            route is null ? null : string.Join(ListSeparator, route.Reasons),
            route is null ? null : (long)route.Escalations,
            route?.TopTierCost,
            r.Refusal,
            r.Degradations.Count == 0 ? null : string.Join(ListSeparator, r.Degradations),
            r.ShadowActions.Count == 0 ? null : string.Join(ListSeparator, r.ShadowActions),
        ];
    }

    /// <summary>Rebuilds a record from a row read in <see cref="All"/>'s order (nulls as <see langword="null"/>).</summary>
    public static GovernanceRecord FromRow(ISpendRow row)
    {
        var i = 0;
        var ts = row.Int64(i++)!.Value;
        i++; // day: derived from ts
        var duration = row.Int64(i++) ?? 0;
        var scope = new GovernanceScope { Tenant = row.Text(i++), Feature = row.Text(i++), Session = row.Text(i++), Run = row.Text(i++) };
        var streaming = row.Int64(i++) == 1;
        var requested = row.Text(i++);
        var model = row.Text(i++);
        var priced = row.Text(i++);
        var usage = new TokenUsage(row.Int64(i++) ?? 0, row.Int64(i++) ?? 0, row.Int64(i++) ?? 0, row.Int64(i++) ?? 0, row.Int64(i++) ?? 0);
        i += 2; // input_tokens, total_output_tokens: derived from usage
        var estimated = row.Int64(i++) == 1;
        var cost = new CostBreakdown(row.Money(i++) ?? 0, row.Money(i++) ?? 0, row.Money(i++) ?? 0, row.Money(i++) ?? 0, row.Money(i++) ?? 0);
        i++; // cost: the breakdown's total
        var providerCalls = (int)(row.Int64(i++) ?? 0);
        var cache = Enum.TryParse<CacheStatus>(row.Text(i++), out var status) ? status : CacheStatus.None;
        var similarity = row.Real(i++);
        var avoided = row.Money(i++) ?? 0;
        var reserved = row.Money(i++);
        var settled = row.Money(i++);
        var utilization = row.Real(i++);
        var routeRequested = row.Text(i++);
        var tier = row.Text(i++);
        var routeModel = row.Text(i++);
        var score = row.Real(i++);
        var reasons = row.Text(i++);
        var escalations = row.Int64(i++);
        var topTier = row.Money(i++);
        var refusal = row.Text(i++);
        var degradations = row.Text(i++);
        var shadow = row.Text(i++);
        return new GovernanceRecord
        {
            Timestamp = new DateTimeOffset(ts, TimeSpan.Zero),
            Duration = TimeSpan.FromTicks(duration),
            Scope = scope,
            Streaming = streaming,
            RequestedModelId = requested,
            ModelId = model,
            PricedModelId = priced,
            Usage = usage,
            UsageEstimated = estimated,
            Cost = cost,
            ProviderCalls = providerCalls,
            Cache = cache,
            CacheSimilarity = similarity,
            CostAvoided = avoided,
            BudgetReserved = reserved,
            BudgetSettled = settled,
            BudgetUtilization = utilization,
            Routing = tier is null || routeModel is null
                ? null
                : new RoutingDecision(routeRequested, tier, routeModel, score ?? 0, Split(reasons), (int)(escalations ?? 0), topTier ?? 0),
            Refusal = refusal,
            Degradations = Split(degradations),
            ShadowActions = Split(shadow),
        };
    }

    public static string Day(DateTimeOffset timestamp) => timestamp.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string[] Split(string? list) => string.IsNullOrEmpty(list) ? [] : list.Split(ListSeparator);
}

/// <summary>The kind of a spend column, mapped to each database's type.</summary>
internal enum SpendColumnType
{
    Integer,
    Real,
    Text,
    Money,
}

/// <summary>One row of a store's reader, by ordinal.</summary>
internal interface ISpendRow
{
    long? Int64(int ordinal);

    double? Real(int ordinal);

    string? Text(int ordinal);

    decimal? Money(int ordinal);
}
