using TokenGovernor.Testing;
using static TokenGovernor.Tests.Governance.PipelineHarness;

namespace TokenGovernor.Tests.Governance;

/// <summary>Per-deployment clients are dispatched below budgets and metering: every attempt is reserved, settled and metered.</summary>
public class DeploymentDispatchTests
{
    private static readonly GovernanceScope s_acme = new() { Tenant = "acme" };

    private static TestChatClient RateLimited() => new()
    {
        GetResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("rate limited", null, System.Net.HttpStatusCode.TooManyRequests),
        GetStreamingResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("rate limited", null, System.Net.HttpStatusCode.TooManyRequests),
    };

    private static (IChatClient Client, TestChatClient Shared, TestChatClient Backup, InMemoryBudgetLedger Ledger) Stack(string stack)
    {
        var shared = Provider();
        var backup = Provider();
        var ledger = new InMemoryBudgetLedger([new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 10m }]);
        void Tiers(RoutingOptions o)
        {
            o.Tiers.Clear();
            o.Tiers.Add(new ModelTier("Only", [new ModelDeployment("gpt-4o-mini", RateLimited()), new ModelDeployment("gpt-4o", backup)]));
        }

        var client = stack == "UseTokenGovernor"
            ? new ChatClientBuilder(shared).UseTokenGovernor(g => g.UseModelRouting(Tiers).UseBudgets(ledger: ledger)).Build()
            : new ChatClientBuilder(shared).UseModelRouting(Tiers).UseEnabledLogging().UseBudgets(ledger).UseOpenTelemetry().UseCostMetering().Build();
        return (client, shared, backup, ledger);
    }

    [Theory]
    [InlineData("UseTokenGovernor", false)]
    [InlineData("UseTokenGovernor", true)]
    [InlineData("spelled-out", false)]
    [InlineData("spelled-out", true)]
    public async Task Routing_DeploymentWithOwnClientFailsOver_AttemptIsReservedSettledAndMetered(string stack, bool streaming)
    {
        var (client, shared, backup, ledger) = Stack(stack);
        using var scope = GovernanceScope.Begin(tenant: "acme");

        var (records, response) = await CallAsync(client, streaming);

        var record = Assert.Single(records);
        Assert.Equal(0, shared.Calls);
        Assert.Equal(1, backup.Calls);
        Assert.Contains("failover:gpt-4o-mini", record.Routing!.Reasons);
        var expected = CostCalculator.Calculate(response.Usage!, PriceCatalog.BuiltIn.GetPrice("gpt-4o")).Total;
        Assert.Equal(expected, record.Cost.Total);
        Assert.Equal("gpt-4o", record.PricedModelId);
        Assert.Equal(expected, record.BudgetSettled);
        Assert.True(record.BudgetReserved > expected); // both attempts were reserved; the failed one was released
        Assert.Equal(expected, ledger.GetUsage(s_acme)[0].SpentCost);
        Assert.Equal(0, ledger.OutstandingReservations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Routing_DeploymentClientHasItsOwnMetering_IsMeteredOnce(bool streaming)
    {
        var backup = new ChatClientBuilder(Provider()).UseCostMetering().Build();
        var client = new ChatClientBuilder(Provider())
            .UseTokenGovernor(g => g.UseModelRouting(o =>
            {
                o.Tiers.Clear();
                o.Tiers.Add(new ModelTier("Only", [new ModelDeployment("gpt-4o", backup)]));
            }))
            .Build();

        var (records, response) = await CallAsync(client, streaming);

        var record = Assert.Single(records);
        Assert.Equal(1, record.ProviderCalls);
        Assert.Equal(CostCalculator.Calculate(response.Usage!, PriceCatalog.BuiltIn.GetPrice("gpt-4o")).Total, record.Cost.Total);
    }
}
