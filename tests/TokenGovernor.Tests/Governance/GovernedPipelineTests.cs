using static TokenGovernor.Tests.Governance.PipelineHarness;

namespace TokenGovernor.Tests.Governance;

/// <summary>Cross-layer tests: M.E.AI's own decorators and a user's iterator decorator between every TokenGovernor layer.</summary>
public class GovernedPipelineTests
{
    private static InMemoryBudgetLedger Ledger(decimal limit = 10m) =>
        new([new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = limit }]);

    private static void Tiers(RoutingOptions o)
    {
        o.Tiers.Clear();
        o.Tiers.Add(ModelTier.Of("Small", "gpt-4o-mini"));
        o.Tiers.Add(ModelTier.Of("Large", "gpt-4o"));
    }

    /// <summary>The whole stack spelled out, with a foreign decorator between each pair of layers.</summary>
    private static IChatClient InterleavedStack(IChatClient provider, IBudgetLedger ledger) =>
        new ChatClientBuilder(provider)
            .UseLoopGuard()
            .UseOpenTelemetry()
            .UseResponseCache()
            .UseEnabledLogging()
            .UseModelRouting(Tiers)
            .UseUserIterator()
            .UseBudgets(ledger)
            .UseOpenTelemetry()
            .UseEnabledLogging()
            .UseUserIterator()
            .UseCostMetering()
            .Build();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Call_ForeignDecoratorsBetweenLayers_CallerGetsExactlyOneRecordWithTheRealCost(bool streaming)
    {
        using var listener = ListenToActivities();
        var ledger = Ledger();
        var sent = new List<string?>();
        var client = InterleavedStack(Provider(sent), ledger);
        using var scope = GovernanceScope.Begin(tenant: "acme", run: "run-1");

        var (records, response) = await CallAsync(client, streaming);

        var record = Assert.Single(records);
        var model = Assert.Single(sent);
        var expected = CostCalculator.Calculate(response.Usage!, PriceCatalog.BuiltIn.GetPrice(model)).Total;
        Assert.True(expected > 0m);
        Assert.Equal(expected, record.Cost.Total);
        Assert.Equal(1, record.ProviderCalls);
        Assert.Equal(expected, record.BudgetSettled);
        Assert.Equal(expected, ledger.GetUsage(new GovernanceScope { Tenant = "acme" })[0].SpentCost);
        Assert.Equal(0, ledger.OutstandingReservations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Call_ForeignDecoratorsBetweenLayers_ModelSentRoutedAndPricedAgree(bool streaming)
    {
        using var listener = ListenToActivities();
        var sent = new List<string?>();
        var client = InterleavedStack(Provider(sent), Ledger());
        using var scope = GovernanceScope.Begin(tenant: "acme");

        var (records, _) = await CallAsync(client, streaming);

        var record = Assert.Single(records);
        var model = Assert.Single(sent);
        Assert.Equal(model, record.Routing?.ModelId);
        Assert.Equal(model, record.PricedModelId);
        Assert.Equal(model, record.ModelId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Call_UseTokenGovernorUnderForeignDecorators_CallerGetsExactlyOneRecord(bool streaming)
    {
        using var listener = ListenToActivities();
        var ledger = Ledger();
        var client = new ChatClientBuilder(Provider())
            .UseOpenTelemetry()
            .UseEnabledLogging()
            .UseTokenGovernor(g => g.UseLoopGuard().UseResponseCache().UseModelRouting(Tiers).UseBudgets(ledger: ledger))
            .Build();
        using var scope = GovernanceScope.Begin(tenant: "acme", run: "run-1");

        var (records, response) = await CallAsync(client, streaming);

        var record = Assert.Single(records);
        Assert.True(record.Cost.Total > 0m);
        Assert.Equal(record.Cost.Total, record.BudgetSettled);
        Assert.Equal(record.Routing!.ModelId, record.PricedModelId);
        Assert.NotNull(response.Text);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Call_CacheHitBetweenForeignDecorators_OneRecordNoSpend(bool streaming)
    {
        using var listener = ListenToActivities();
        var ledger = Ledger();
        var provider = Provider();
        var client = InterleavedStack(provider, ledger);
        using var scope = GovernanceScope.Begin(tenant: "acme");
        var (first, _) = await CallAsync(client, streaming);
        var spent = ledger.GetUsage(new GovernanceScope { Tenant = "acme" })[0].SpentCost;

        var (records, _) = await CallAsync(client, streaming);

        var record = Assert.Single(records);
        Assert.Equal(CacheStatus.Exact, record.Cache);
        Assert.Equal(0m, record.Cost.Total);
        Assert.Equal(first[0].Cost.Total, record.CostAvoided);
        Assert.Equal(1, provider.Calls);
        Assert.Equal(spent, ledger.GetUsage(new GovernanceScope { Tenant = "acme" })[0].SpentCost);
    }
}
