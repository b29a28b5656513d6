using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Budgets;

/// <summary><see cref="BudgetChatClient"/> with request limits (<see cref="BudgetPolicy.RequestLimit"/>): the typed refusal, its retry
/// time, streaming, the ladder left alone, and the configuration key.</summary>
public class BudgetChatClientRateLimitTests
{
    // 10:00:20 UTC: 40 seconds before the minute ends.
    private static readonly DateTimeOffset s_now = new(2026, 11, 23, 10, 0, 20, TimeSpan.Zero);

    private static TestChatClient Provider() => new()
    {
        GetResponseAsyncCallback = (_, options, _) => Task.FromResult(Response(options)),
        GetStreamingResponseAsyncCallback = (_, options, ct) => TestChatClient.Stream("answer", Response(options).ModelId, Response(options).Usage, ct),
    };

    private static ChatResponse Response(ChatOptions? options) => new(new ChatMessage(ChatRole.Assistant, "answer"))
    {
        ModelId = options?.ModelId ?? "gpt-4o",
        Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 20 },
    };

    private static InMemoryBudgetLedger Ledger(long limit, TimeProvider time, params BudgetPolicy[] more) =>
        new([new BudgetPolicy("tenant-rpm") { Level = ScopeLevel.Tenant, RequestLimit = limit, Window = BudgetWindow.Minute }, .. more], timeProvider: time);

    private static IChatClient Pipeline(IChatClient provider, IBudgetLedger ledger, Action<BudgetOptions>? configure = null) =>
        new ChatClientBuilder(provider).UseBudgets(ledger, configure).UseCostMetering().Build();

    private static ChatOptions Gpt4o() => new() { ModelId = "gpt-4o", MaxOutputTokens = 100 };

    private static async Task DrainAsync(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        await foreach (var _ in updates)
        {
        }
    }

    [Fact]
    public async Task GetResponseAsync_RequestLimitReached_ThrowsRateLimitExceededWithRetryAfter()
    {
        var time = new FakeTimeProvider(s_now);
        var provider = Provider();
        var client = Pipeline(provider, Ledger(2, time));
        using var _ = GovernanceScope.Begin(tenant: "acme");
        await client.GetResponseAsync("one", Gpt4o());
        await client.GetResponseAsync("two", Gpt4o());

        var ex = await Assert.ThrowsAsync<RateLimitExceededException>(() => client.GetResponseAsync("three", Gpt4o()));

        Assert.Equal(2, provider.Calls);
        Assert.Equal("tenant-rpm", ex.PolicyName);
        Assert.Equal("acme", ex.Key);
        Assert.Equal(2, ex.RequestLimit);
        Assert.Equal(TimeSpan.FromSeconds(40), ex.RetryAfter);
        Assert.Equal(RateLimitExceededException.RateLimitedReason, ex.Reason);
        Assert.True(ex.Denial!.IsRequestLimit);
        Assert.Equal("acme", ex.Scope.Tenant);
        Assert.Contains("'tenant-rpm'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2 of its 2 requests per Minute window", ex.Message, StringComparison.Ordinal);
        Assert.Contains("retry after 40 s", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_RequestLimitReached_IsCaughtAsBudgetExceeded()
    {
        var time = new FakeTimeProvider(s_now);
        var client = Pipeline(Provider(), Ledger(1, time));
        using var _ = GovernanceScope.Begin(tenant: "acme");
        await client.GetResponseAsync("one", Gpt4o());

        // Existing catch (BudgetExceededException) code keeps catching the refusal.
        var ex = await Assert.ThrowsAnyAsync<BudgetExceededException>(() => client.GetResponseAsync("two", Gpt4o()));

        Assert.IsType<RateLimitExceededException>(ex);
        Assert.Equal("tenant-rpm", ex.Policy!.Name);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_RequestLimitReached_ThrowsRateLimitExceededWithRetryAfter()
    {
        var time = new FakeTimeProvider(s_now);
        var provider = Provider();
        var client = Pipeline(provider, Ledger(1, time));
        using var _ = GovernanceScope.Begin(tenant: "acme");
        await DrainAsync(client.GetStreamingResponseAsync("one", Gpt4o()));

        var ex = await Assert.ThrowsAsync<RateLimitExceededException>(() => DrainAsync(client.GetStreamingResponseAsync("two", Gpt4o())));

        Assert.Equal(1, provider.Calls);
        Assert.Equal(TimeSpan.FromSeconds(40), ex.RetryAfter);
        Assert.Equal("tenant-rpm", ex.PolicyName);
    }

    [Fact]
    public async Task GetResponseAsync_NextWindow_AdmitsAgain()
    {
        var time = new FakeTimeProvider(s_now);
        var client = Pipeline(Provider(), Ledger(1, time));
        using var _ = GovernanceScope.Begin(tenant: "acme");
        await client.GetResponseAsync("one", Gpt4o());
        var ex = await Assert.ThrowsAsync<RateLimitExceededException>(() => client.GetResponseAsync("two", Gpt4o()));

        time.Advance(ex.RetryAfter!.Value);

        Assert.Equal("answer", (await client.GetResponseAsync("two", Gpt4o())).Text);
    }

    [Fact]
    public async Task GetResponseAsync_RateLimitedWithFallback_ReturnsFallbackAndRecordsRateLimited()
    {
        var time = new FakeTimeProvider(s_now);
        var client = Pipeline(Provider(), Ledger(1, time), o => o.FallbackResponse = new ChatResponse(new ChatMessage(ChatRole.Assistant, "Slow down.")));
        using var _ = GovernanceScope.Begin(tenant: "acme");
        await client.GetResponseAsync("one", Gpt4o());

        var response = await client.GetResponseAsync("two", Gpt4o());

        Assert.Equal("Slow down.", response.Text);
        var record = response.GetGovernance()!;
        Assert.Equal("rate-limited", record.Refusal);
        Assert.Equal(["rate-limited"], record.Degradations);
    }

    [Fact]
    public async Task GetResponseAsync_RequestsAtLimit_LadderDoesNotDegrade()
    {
        // Request counts are not utilization: the calls that fill the limit go out unchanged (no cheaper model, no output cap).
        var time = new FakeTimeProvider(s_now);
        var seen = new List<ChatOptions?>();
        var provider = new TestChatClient
        {
            GetResponseAsyncCallback = (_, options, _) =>
            {
                seen.Add(options);
                return Task.FromResult(Response(options));
            },
        };
        var client = Pipeline(provider, Ledger(3, time));
        using var _ = GovernanceScope.Begin(tenant: "acme");

        for (var i = 0; i < 3; i++)
        {
            var response = await client.GetResponseAsync("hi", Gpt4o());
            Assert.Empty(response.GetGovernance()!.Degradations);
        }

        Assert.All(seen, o => Assert.Equal("gpt-4o", o!.ModelId));
        Assert.All(seen, o => Assert.Equal(100, o!.MaxOutputTokens));
        await Assert.ThrowsAsync<RateLimitExceededException>(() => client.GetResponseAsync("hi", Gpt4o()));
    }

    [Fact]
    public async Task GetResponseAsync_CostBudgetTightAndRequestLimitFull_RefusesWithoutCappingOutput()
    {
        // The cost budget could fit a lower output cap, but the rate limit refuses first: no cap is tried, no cost is held.
        var time = new FakeTimeProvider(s_now);
        var cost = new BudgetPolicy("tenant-daily") { Level = ScopeLevel.Tenant, CostLimit = 0.005m };
        var ledger = Ledger(1, time, cost);
        var provider = Provider();
        var client = Pipeline(provider, ledger, o => o.Ladder.Clear());
        using var _ = GovernanceScope.Begin(tenant: "acme");
        await client.GetResponseAsync("one", Gpt4o());

        await Assert.ThrowsAsync<RateLimitExceededException>(() => client.GetResponseAsync("two", new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 4000 }));

        Assert.Equal(1, provider.Calls);
        Assert.All(ledger.GetUsage(new GovernanceScope { Tenant = "acme" }), u => Assert.Equal(0m, u.ReservedCost));
    }

    [Fact]
    public async Task GetResponseAsync_ProviderThrows_GivesTheRequestBack()
    {
        var time = new FakeTimeProvider(s_now);
        var ledger = Ledger(1, time);
        var fail = true;
        var provider = new TestChatClient
        {
            GetResponseAsyncCallback = (_, options, _) => fail ? throw new HttpRequestException("503") : Task.FromResult(Response(options)),
        };
        var client = Pipeline(provider, ledger);
        using var _ = GovernanceScope.Begin(tenant: "acme");

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("hi", Gpt4o()));
        fail = false;

        Assert.Equal("answer", (await client.GetResponseAsync("hi", Gpt4o())).Text);
        Assert.Equal(1, ledger.GetUsage(new GovernanceScope { Tenant = "acme" })[0].Requests);
    }

    [Fact]
    public async Task GetResponseAsync_ShadowRateLimited_SendsAndRecordsShadowRefusal()
    {
        var time = new FakeTimeProvider(s_now);
        var provider = Provider();
        var client = Pipeline(provider, Ledger(1, time), o => o.Shadow = true);
        using var _ = GovernanceScope.Begin(tenant: "acme");
        await client.GetResponseAsync("one", Gpt4o());

        var response = await client.GetResponseAsync("two", Gpt4o());

        Assert.Equal(2, provider.Calls);
        Assert.Contains("budget:refuse:rate-limited", response.GetGovernance()!.ShadowActions);
    }

    [Fact]
    public void Constructor_DenialNotForRequests_Throws()
    {
        var denial = new BudgetDenial { Policy = new BudgetPolicy("p") { CostLimit = 1m }, Key = string.Empty, Limit = 1m };

        Assert.Throws<ArgumentException>(() => new RateLimitExceededException(GovernanceScope.Empty, denial));
    }

    [Fact]
    public void Message_LifetimeWindow_SaysNoSlotFreesWithTime()
    {
        var denial = new BudgetDenial
        {
            Policy = new BudgetPolicy("trial") { RequestLimit = 100, Window = BudgetWindow.Lifetime },
            Key = string.Empty,
            IsRequestLimit = true,
            Limit = 100,
            Spent = 100,
        };

        var ex = new RateLimitExceededException(GovernanceScope.Empty, denial);

        Assert.Null(ex.RetryAfter);
        Assert.Contains("'trial' (global)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("never frees a slot", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseTokenGovernor_RequestLimitFromConfiguration_EnforcesIt()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Budgets:Policies:0:Name"] = "tenant-rpm",
            ["TokenGovernor:Budgets:Policies:0:Level"] = "Tenant",
            ["TokenGovernor:Budgets:Policies:0:RequestLimit"] = "1",
            ["TokenGovernor:Budgets:Policies:0:Window"] = "Minute",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(s_now));
        services.AddTokenGovernor(config);
        services.AddChatClient(Provider()).UseTokenGovernor(g => g.UseBudgets());
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        var client = provider.GetRequiredService<IChatClient>();
        using var _ = GovernanceScope.Begin(tenant: "acme");

        await client.GetResponseAsync("one", Gpt4o());
        var ex = await Assert.ThrowsAsync<RateLimitExceededException>(() => client.GetResponseAsync("two", Gpt4o()));

        Assert.Equal(1, Assert.Single(provider.GetRequiredService<IBudgetLedger>().Policies).RequestLimit);
        Assert.NotNull(ex.RetryAfter);
    }

    [Theory]
    [InlineData("0", "it must be at least 1")]
    [InlineData("-5", "it must be at least 1")]
    [InlineData("ten", "whole number of requests per window")]
    public void AddTokenGovernor_InvalidRequestLimit_FailsAtStartupNamingKey(string value, string reason)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Budgets:Policies:0:Name"] = "tenant-rpm",
            ["TokenGovernor:Budgets:Policies:0:RequestLimit"] = value,
        }).Build();
        var services = new ServiceCollection();
        services.AddTokenGovernor(config);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains("TokenGovernor:Budgets:Policies:0:RequestLimit", ex.Message, StringComparison.Ordinal);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTokenGovernor_RequestLimitKey_IsNotAnUnknownKey()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Budgets:Policies:0:Name"] = "rph",
            ["TokenGovernor:Budgets:Policies:0:RequestLimit"] = "600",
            ["TokenGovernor:Budgets:Policies:0:Window"] = "Hour",
        }).Build();
        var services = new ServiceCollection();
        services.AddTokenGovernor(config);
        using var provider = services.BuildServiceProvider();

        provider.GetRequiredService<IStartupValidator>().Validate();

        var policy = Assert.Single(provider.GetRequiredService<IBudgetLedger>().Policies);
        Assert.Equal(600, policy.RequestLimit);
        Assert.Equal(BudgetWindow.Hour, policy.Window);
        Assert.Null(policy.CostLimit);
    }
}
