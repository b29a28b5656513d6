using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Budgets;

/// <summary><see cref="BudgetChatClient"/> with <see cref="BudgetOptions.UnscopedCalls"/>: calls without the tenant a per-tenant policy needs.</summary>
public class BudgetChatClientUnscopedCallTests
{
    private static TestChatClient Provider() => new()
    {
        GetResponseAsyncCallback = (_, options, _) => Task.FromResult(Response(options)),
        GetStreamingResponseAsyncCallback = (_, options, ct) => Stream(Response(options), ct),
    };

    private static ChatResponse Response(ChatOptions? options) => new(new ChatMessage(ChatRole.Assistant, "answer"))
    {
        ModelId = options?.ModelId ?? "gpt-4o",
        Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 20 },
    };

    private static async IAsyncEnumerable<ChatResponseUpdate> Stream(ChatResponse response, [EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        yield return new ChatResponseUpdate(ChatRole.Assistant, "answer") { ModelId = response.ModelId };
        yield return new ChatResponseUpdate { Contents = [new UsageContent(response.Usage!)], ModelId = response.ModelId };
    }

    private static InMemoryBudgetLedger Ledger() =>
        new([new BudgetPolicy("tenant-daily") { Level = ScopeLevel.Tenant, CostLimit = 10m }]);

    private static IChatClient Pipeline(IChatClient provider, IBudgetLedger ledger, Action<BudgetOptions>? configure = null) =>
        new ChatClientBuilder(provider).UseBudgets(ledger, configure).UseCostMetering().Build();

    private static ChatOptions Gpt4o() => new() { ModelId = "gpt-4o", MaxOutputTokens = 100 };

    private static async Task<GovernanceRecord?> StreamAsync(IChatClient client)
    {
        GovernanceRecord? record = null;
        await foreach (var update in client.GetStreamingResponseAsync("hi", Gpt4o()))
        {
            record ??= update.GetGovernance();
        }

        return record;
    }

    [Theory]
    [InlineData(UnscopedCallHandling.Allow, false)]
    [InlineData(UnscopedCallHandling.Allow, true)]
    [InlineData(UnscopedCallHandling.AssignDefault, false)]
    [InlineData(UnscopedCallHandling.AssignDefault, true)]
    public async Task Record_UnscopedCall_NamesTheMissingLevel(UnscopedCallHandling handling, bool streaming)
    {
        var client = Pipeline(Provider(), Ledger(), o => o.UnscopedCalls = handling);

        var record = streaming ? await StreamAsync(client) : (await client.GetResponseAsync("hi", Gpt4o())).GetGovernance();

        Assert.Equal([ScopeLevel.Tenant], record!.MissingScopes);
    }

    [Fact]
    public async Task Record_ScopedCall_HasNoMissingLevel()
    {
        var client = Pipeline(Provider(), Ledger());
        using var _ = GovernanceScope.Begin(tenant: "acme");

        var record = (await client.GetResponseAsync("hi", Gpt4o())).GetGovernance();

        Assert.Empty(record!.MissingScopes);
    }

    [Fact]
    public async Task GetResponseAsync_UnscopedAllowed_SendsAndChargesNoTenant()
    {
        var ledger = Ledger();
        var provider = Provider();

        var response = await Pipeline(provider, ledger).GetResponseAsync("hi", Gpt4o());

        Assert.Equal(1, provider.Calls);
        Assert.DoesNotContain(response.GetGovernance()!.Degradations, d => d.StartsWith("scope-defaulted", StringComparison.Ordinal));
        Assert.Equal(0m, ledger.GetUsage(new GovernanceScope { Tenant = "default" })[0].SpentCost);
    }

    [Fact]
    public async Task GetResponseAsync_UnscopedRefused_ThrowsNamingScopeAndOptionBeforeSending()
    {
        var ledger = Ledger();
        var provider = Provider();

        var ex = await Assert.ThrowsAsync<UnscopedCallException>(() =>
            Pipeline(provider, ledger, o => o.UnscopedCalls = UnscopedCallHandling.Refuse).GetResponseAsync("hi", Gpt4o()));

        Assert.Equal(ScopeLevel.Tenant, ex.MissingLevel);
        Assert.Equal("tenant-daily", ex.Policy.Name);
        Assert.Contains("no Tenant scope", ex.Message, StringComparison.Ordinal);
        Assert.Contains("BudgetOptions.UnscopedCalls", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, provider.Calls);
        Assert.Equal(0, ledger.OutstandingReservations);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_UnscopedRefused_ThrowsBeforeSending()
    {
        var provider = Provider();
        var client = Pipeline(provider, Ledger(), o => o.UnscopedCalls = UnscopedCallHandling.Refuse);

        await Assert.ThrowsAsync<UnscopedCallException>(() => StreamAsync(client));

        Assert.Equal(0, provider.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_UnscopedRefusedWithFallback_RecordsRefusal()
    {
        var client = Pipeline(Provider(), Ledger(), o =>
        {
            o.UnscopedCalls = UnscopedCallHandling.Refuse;
            o.FallbackResponse = new ChatResponse(new ChatMessage(ChatRole.Assistant, "Sign in first."));
        });

        var response = await client.GetResponseAsync("hi", Gpt4o());

        Assert.Equal("Sign in first.", response.Text);
        Assert.Equal("unscoped-call", response.GetGovernance()!.Refusal);
    }

    [Fact]
    public async Task GetResponseAsync_ScopedCallUnderRefuse_IsSent()
    {
        var provider = Provider();
        using var _ = GovernanceScope.Begin(tenant: "acme");

        await Pipeline(provider, Ledger(), o => o.UnscopedCalls = UnscopedCallHandling.Refuse).GetResponseAsync("hi", Gpt4o());

        Assert.Equal(1, provider.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_UnscopedAssignDefault_ChargesDefaultTenantAndRecordsIt()
    {
        var ledger = Ledger();

        var response = await Pipeline(Provider(), ledger, o =>
        {
            o.UnscopedCalls = UnscopedCallHandling.AssignDefault;
            o.DefaultScopeKey = "anonymous";
        }).GetResponseAsync("hi", Gpt4o());

        var record = response.GetGovernance()!;
        Assert.Contains("scope-defaulted:tenant", record.Degradations);
        Assert.Equal(record.Cost.Total, ledger.GetUsage(new GovernanceScope { Tenant = "anonymous" })[0].SpentCost);
        Assert.True(record.Cost.Total > 0);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_UnscopedAssignDefault_ChargesDefaultTenantAndRecordsIt()
    {
        var ledger = Ledger();

        var record = await StreamAsync(Pipeline(Provider(), ledger, o => o.UnscopedCalls = UnscopedCallHandling.AssignDefault));

        Assert.Contains("scope-defaulted:tenant", record!.Degradations);
        Assert.True(ledger.GetUsage(new GovernanceScope { Tenant = "default" })[0].SpentCost > 0);
        Assert.Equal(0, ledger.OutstandingReservations);
    }

    [Fact]
    public void UseBudgets_EmptyDefaultScopeKey_Throws()
    {
        var builder = new ChatClientBuilder(Provider());

        Assert.ThrowsAny<Exception>(() => builder.UseBudgets(Ledger(), o => o.DefaultScopeKey = " "));
    }

    [Fact]
    public async Task UseTokenGovernor_ConfiguredRefuse_RefusesUnscopedCall()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Budgets:UnscopedCalls"] = "Refuse",
            ["TokenGovernor:Budgets:Policies:0:Name"] = "tenant-daily",
            ["TokenGovernor:Budgets:Policies:0:Level"] = "Tenant",
            ["TokenGovernor:Budgets:Policies:0:CostLimit"] = "10",
        }).Build();
        var services = new ServiceCollection();
        services.AddTokenGovernor(config);
        services.AddChatClient(Provider()).UseBudgets();
        using var provider = services.BuildServiceProvider();

        await Assert.ThrowsAsync<UnscopedCallException>(() => provider.GetRequiredService<IChatClient>().GetResponseAsync("hi", Gpt4o()));
    }

    [Fact]
    public void AddTokenGovernor_BadUnscopedCallsValue_FailsNamingFullKey()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Budgets:UnscopedCalls"] = "Deny",
        }).Build();
        var services = new ServiceCollection();
        services.AddTokenGovernor(config);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate());

        Assert.Contains("TokenGovernor:Budgets:UnscopedCalls", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AssignDefault", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTokenGovernor_UnscopedCallsAtTopLevel_FailsAsUnknownKey()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:UnscopedCalls"] = "Refuse",
        }).Build();
        var services = new ServiceCollection();
        services.AddTokenGovernor(config);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate());

        Assert.Contains("TokenGovernor:UnscopedCalls", ex.Message, StringComparison.Ordinal);
    }
}
