using static TokenGovernor.Tests.Governance.PipelineHarness;

namespace TokenGovernor.Tests.Governance;

/// <summary>What a pipeline is given reaches every layer, and one layer owns each decision.</summary>
public class SharedServicesTests
{
    private static readonly GovernanceScope s_acme = new() { Tenant = "acme" };

    /// <summary>A tenant budget of $1 already 72% spent: budget pressure applies (routing at 70%, the ladder's cheaper model at 70%).</summary>
    private static async Task<InMemoryBudgetLedger> LedgerAt72PercentAsync()
    {
        var ledger = new InMemoryBudgetLedger([new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 1m }]);
        var hold = await ledger.ReserveAsync(s_acme, 0.72m, 0);
        await ledger.SettleAsync(hold.Reservation, 0.72m, 0);
        return ledger;
    }

    private static void GptTiers(RoutingOptions o)
    {
        o.Tiers.Clear();
        o.Tiers.Add(ModelTier.Of("Small", "gpt-4.1-mini"));
        o.Tiers.Add(ModelTier.Of("Large", "gpt-4.1"));
        o.Classifier = new AlwaysLarge();
    }

    private static PriceCatalog CustomCatalog() => new PriceCatalogBuilder()
        .AddBuiltIn()
        .Add(new ModelPrice("acme-llm", 4m, 16m) { MaxOutputTokens = 4096, ContextWindow = 128_000 })
        .Add(new ModelPrice("gpt-4o", 25m, 100m) { MaxOutputTokens = 16_384, ContextWindow = 128_000 }) // re-priced 10x
        .Build();

    public static TheoryData<string, bool> Stacks()
    {
        var data = new TheoryData<string, bool>();
        foreach (var stack in new[] { "UseTokenGovernor", "spelled-out" })
        {
            data.Add(stack, false);
            data.Add(stack, true);
        }

        return data;
    }

    private static IChatClient RoutedBudgeted(string stack, IChatClient provider, IBudgetLedger ledger) => stack == "UseTokenGovernor"
        ? new ChatClientBuilder(provider).UseTokenGovernor(g => g.UseModelRouting(GptTiers).UseBudgets(ledger: ledger)).Build()
        : new ChatClientBuilder(provider).UseModelRouting(GptTiers).UseOpenTelemetry().UseEnabledLogging().UseBudgets(ledger).UseUserIterator().UseCostMetering().Build();

    [Theory]
    [MemberData(nameof(Stacks))]
    public async Task Routing_BudgetLedgerGivenToBudgets_SeesItsPressureAndIsTheOnlyOwnerOfTheModel(string stack, bool streaming)
    {
        var ledger = await LedgerAt72PercentAsync();
        var sent = new List<string?>();
        var client = RoutedBudgeted(stack, Provider(sent), ledger);
        using var scope = GovernanceScope.Begin(tenant: "acme");

        var (records, _) = await CallAsync(client, streaming);

        var record = Assert.Single(records);
        Assert.Contains("budget-pressure", record.Routing!.Reasons);
        Assert.Equal(["gpt-4.1-mini"], sent);
        Assert.Equal("gpt-4.1-mini", record.Routing.ModelId);
        Assert.Equal("gpt-4.1-mini", record.PricedModelId);
        Assert.DoesNotContain("prefer-cheaper-model", record.Degradations);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Budgets_NoRoutingLayer_StillPreferTheCheaperModel(bool streaming)
    {
        var ledger = await LedgerAt72PercentAsync();
        var sent = new List<string?>();
        var client = new ChatClientBuilder(Provider(sent)).UseTokenGovernor(g => g.UseBudgets(ledger: ledger)).Build();
        using var scope = GovernanceScope.Begin(tenant: "acme");

        var (records, _) = await CallAsync(client, streaming, options: new ChatOptions { ModelId = "gpt-4.1" });

        Assert.Equal(["gpt-4.1-mini"], sent);
        Assert.Contains("prefer-cheaper-model", Assert.Single(records).Degradations);
    }

    public static TheoryData<string, bool> CatalogStacks() => Stacks();

    private static IChatClient Budgeted(string stack, IChatClient provider, IBudgetLedger ledger, PriceCatalog catalog) => stack == "UseTokenGovernor"
        ? new ChatClientBuilder(provider).UseTokenGovernor(g => g.UsePriceCatalog(catalog).UseBudgets(ledger: ledger)).Build()
        : new ChatClientBuilder(provider).UseBudgets(ledger).UseOpenTelemetry().UseEnabledLogging().UseCostMetering(catalog).Build();

    [Theory]
    [MemberData(nameof(CatalogStacks))]
    public async Task Budgets_ModelOnlyTheCustomCatalogPrices_ReserveAndSettleWithIt(string stack, bool streaming)
    {
        var ledger = new InMemoryBudgetLedger([new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 10m }]);
        var client = Budgeted(stack, Provider(), ledger, CustomCatalog());
        using var scope = GovernanceScope.Begin(tenant: "acme");

        var (records, response) = await CallAsync(client, streaming, options: new ChatOptions { ModelId = "acme-llm", MaxOutputTokens = 100 });

        var record = Assert.Single(records);
        Assert.Equal("acme-llm", record.Estimate!.PricedModelId);
        var expected = CostCalculator.Calculate(response.Usage!, CustomCatalog().GetPrice("acme-llm")).Total;
        Assert.Equal(expected, record.Cost.Total);
        Assert.Equal(expected, record.BudgetSettled);
        Assert.Equal(expected, ledger.GetUsage(s_acme)[0].SpentCost);
    }

    [Theory]
    [MemberData(nameof(CatalogStacks))]
    public async Task Budgets_CustomCatalogRepricesAKnownModel_ReservationCoversTheRealCost(string stack, bool streaming)
    {
        var ledger = new InMemoryBudgetLedger([new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 10m }]);
        var client = Budgeted(stack, Provider(), ledger, CustomCatalog());
        using var scope = GovernanceScope.Begin(tenant: "acme");

        var (records, response) = await CallAsync(client, streaming, options: new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = PipelineHarness.OutputTokens });

        var record = Assert.Single(records);
        var custom = CustomCatalog().GetPrice("gpt-4o");
        Assert.Equal(CostCalculator.Calculate(response.Usage!, custom).Total, record.Cost.Total);
        Assert.Equal(record.Cost.Total, record.BudgetReserved); // prompt exact + output cap fully used: worst case = real cost
        Assert.True(record.BudgetReserved >= record.BudgetSettled);
    }

    private sealed class AlwaysLarge : IComplexityClassifier
    {
        public ComplexityAssessment Classify(IList<ChatMessage> messages, ChatOptions? options, int tierCount) => new(0.9, tierCount - 1, false, ["test:large"]);
    }
}
