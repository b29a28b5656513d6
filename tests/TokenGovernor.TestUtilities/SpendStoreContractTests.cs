namespace TokenGovernor.Testing;

/// <summary>The behaviour every <see cref="ISpendStore"/> must have, run against SQLite and a real PostgreSQL server.</summary>
#pragma warning disable CA1707, CA1515, CA2007 // test names, public test class
public abstract class SpendStoreContractTests
{
    private static readonly DateTimeOffset s_day1 = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Creates an empty store under test.</summary>
    protected abstract Task<ISpendStore> CreateStoreAsync();

    /// <summary>A record with the given scope, model, time and cost (input cost 0.001 of the total's rest is on output).</summary>
    protected static GovernanceRecord Call(string? tenant, string? feature, string model, DateTimeOffset at, decimal cost, long input = 100, long output = 20,
        CacheStatus cache = CacheStatus.None, decimal avoided = 0) => new()
    {
        Timestamp = at,
        Duration = TimeSpan.FromMilliseconds(420),
        Scope = new GovernanceScope { Tenant = tenant, Feature = feature, Session = "s-1" },
        RequestedModelId = model,
        ModelId = model,
        PricedModelId = model,
        Usage = new TokenUsage(input - 10, 10, 0, output - 5, 5),
        Cost = new CostBreakdown(cost / 4, cost / 4, 0, cost / 4, cost - (3 * (cost / 4))),
        ProviderCalls = cache == CacheStatus.None ? 1 : 0,
        Cache = cache,
        CacheSimilarity = cache == CacheStatus.Semantic ? 0.97 : null,
        CostAvoided = avoided,
        BudgetReserved = cost * 2,
        BudgetSettled = cost,
        BudgetUtilization = 0.25,
        Routing = new RoutingDecision("gpt-4o", "Small", model, 0.31, ["short", "no-code"], 1, cost * 10),
        Degradations = ["cap-output", "reasoning-off"],
    };

    [SkippableFact]
    public async Task ReadAsync_AfterWrite_ReturnsEqualRecordsInTimeOrder()
    {
        var store = await CreateStoreAsync();
        var later = Call("acme", "faq", "gpt-4o-mini", s_day1.AddMinutes(5), 0.000123456789m);
        var earlier = Call("globex", null, "gpt-4.1", s_day1, 0.5m, cache: CacheStatus.Semantic, avoided: 0.25m) with { Refusal = "budget-exhausted", ShadowActions = ["routing:gpt-4o-mini"] };

        await store.WriteAsync([later, earlier]);
        var read = await ToListAsync(store.ReadAsync());

        Assert.Equal(2, read.Count);
        AssertSame(earlier, read[0]);
        AssertSame(later, read[1]);
    }

    [SkippableFact]
    public async Task QueryAsync_ByFeature_SumsExactly()
    {
        var store = await CreateStoreAsync();
        var records = Enumerable.Range(0, 300).Select(i => Call("acme", i % 3 == 0 ? "faq" : "agent", "gpt-4o", s_day1.AddSeconds(i), 0.0000001m * (i + 1))).ToArray();

        await store.WriteAsync(records);
        var totals = await store.QueryAsync(new SpendQuery { GroupBy = SpendGrouping.Feature });

        Assert.Equal(["agent", "faq"], totals.Select(t => t.Feature));
        foreach (var total in totals)
        {
            var group = records.Where(r => r.Scope.Feature == total.Feature).ToList();
            Assert.Equal(group.Sum(r => r.Cost.Total), total.Cost);
            Assert.Equal(group.Count, total.Calls);
            Assert.Equal(group.Sum(r => r.Usage.TotalInputTokens), total.InputTokens);
            Assert.Equal(group.Sum(r => r.Usage.TotalOutputTokens), total.OutputTokens);
            Assert.Null(total.Tenant);
            Assert.Null(total.Model);
            Assert.Null(total.Day);
        }
    }

    [SkippableFact]
    public async Task QueryAsync_ByTenantModelDay_GroupsEveryCombination()
    {
        var store = await CreateStoreAsync();
        await store.WriteAsync(
        [
            Call("acme", "faq", "gpt-4o", s_day1, 1m),
            Call("acme", "faq", "gpt-4o", s_day1.AddHours(1), 2m),
            Call("acme", "faq", "gpt-4o", s_day1.AddDays(1), 4m),
            Call("acme", "faq", "o3", s_day1, 8m),
            Call(null, "faq", "o3", s_day1, 16m, cache: CacheStatus.Exact, avoided: 3m),
        ]);

        var totals = await store.QueryAsync(new SpendQuery { GroupBy = SpendGrouping.Tenant | SpendGrouping.Model | SpendGrouping.Day });

        Assert.Equal(4, totals.Count);
        Assert.Equal(("", "o3", new DateOnly(2026, 11, 23), 16m, 3m), (totals[0].Tenant, totals[0].Model, totals[0].Day, totals[0].Cost, totals[0].CostAvoided));
        Assert.Equal(("acme", "gpt-4o", new DateOnly(2026, 11, 23), 3m, 2L), (totals[1].Tenant, totals[1].Model, totals[1].Day, totals[1].Cost, totals[1].Calls));
        Assert.Equal(("acme", "gpt-4o", new DateOnly(2026, 11, 24), 4m), (totals[2].Tenant, totals[2].Model, totals[2].Day, totals[2].Cost));
        Assert.Equal(("acme", "o3", 8m), (totals[3].Tenant, totals[3].Model, totals[3].Cost));
    }

    [SkippableFact]
    public async Task QueryAsync_TimeRange_IncludesFromExcludesTo()
    {
        var store = await CreateStoreAsync();
        await store.WriteAsync([Call("a", "f", "m", s_day1, 1m), Call("a", "f", "m", s_day1.AddHours(1), 2m), Call("a", "f", "m", s_day1.AddHours(2), 4m)]);

        var totals = await store.QueryAsync(new SpendQuery { From = s_day1.AddHours(1), To = s_day1.AddHours(2) });

        Assert.Equal(2m, Assert.Single(totals).Cost);
    }

    [SkippableFact]
    public async Task QueryAsync_Empty_ReturnsNoGroups()
    {
        var store = await CreateStoreAsync();

        Assert.Empty(await store.QueryAsync(new SpendQuery()));
        Assert.Empty(await store.QueryAsync(new SpendQuery { GroupBy = SpendGrouping.Feature }));
    }

    [SkippableFact]
    public async Task SpendStoreSink_ManyRecordsThenDispose_WritesEveryRecordInBatches()
    {
        var store = await CreateStoreAsync();
        var sink = new SpendStoreSink(store, new SpendStoreSinkOptions { BatchSize = 100 });
        for (var i = 0; i < 1_000; i++)
        {
            sink.Record(Call("acme", "faq", "gpt-4o", s_day1.AddSeconds(i), 0.01m));
        }

        await sink.DisposeAsync();

        Assert.Equal(1_000, sink.WrittenRecords);
        Assert.InRange(sink.Batches, 10, 1_000);
        Assert.Equal(10m, Assert.Single(await store.QueryAsync(new SpendQuery())).Cost);
    }

    private static void AssertSame(GovernanceRecord expected, GovernanceRecord actual)
    {
        Assert.Equal(expected.Timestamp, actual.Timestamp);
        Assert.Equal(expected.Duration, actual.Duration);
        Assert.Equal(expected.Scope, actual.Scope);
        Assert.Equal(expected.ModelId, actual.ModelId);
        Assert.Equal(expected.RequestedModelId, actual.RequestedModelId);
        Assert.Equal(expected.PricedModelId, actual.PricedModelId);
        Assert.Equal(expected.Usage, actual.Usage);
        Assert.Equal(expected.Cost, actual.Cost);
        Assert.Equal(expected.Cache, actual.Cache);
        Assert.Equal(expected.CacheSimilarity, actual.CacheSimilarity);
        Assert.Equal(expected.CostAvoided, actual.CostAvoided);
        Assert.Equal(expected.BudgetReserved, actual.BudgetReserved);
        Assert.Equal(expected.BudgetSettled, actual.BudgetSettled);
        Assert.Equal(expected.BudgetUtilization, actual.BudgetUtilization);
        Assert.Equal(expected.Routing!.Tier, actual.Routing!.Tier);
        Assert.Equal(expected.Routing.Reasons, actual.Routing.Reasons);
        Assert.Equal(expected.Routing.TopTierCost, actual.Routing.TopTierCost);
        Assert.Equal(expected.Refusal, actual.Refusal);
        Assert.Equal(expected.Degradations, actual.Degradations);
        Assert.Equal(expected.ShadowActions, actual.ShadowActions);
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
