using Microsoft.Extensions.Time.Testing;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Routing;

/// <summary>Routing over budgets with a request limit: the refusal is treated like a provider's 429.</summary>
public class RoutingRateLimitTests
{
    private static TestChatClient Provider() => new()
    {
        GetResponseAsyncCallback = (_, o, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))
        {
            ModelId = o?.ModelId,
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5 },
        }),
    };

    private static IChatClient Stack(TestChatClient provider, TimeProvider time, long limit, TimeSpan window) =>
        new ChatClientBuilder(provider)
            .UseTokenGovernor(g => g
                .UseModelRouting(o =>
                {
                    o.Tiers.Add(ModelTier.Of("Small", "gpt-4o-mini", "gpt-4.1-nano"));
                    o.MaxFailoverDelay = TimeSpan.FromSeconds(10);
                })
                .UseBudgets(new InMemoryBudgetLedger(
                    [new BudgetPolicy("tenant-requests") { Level = ScopeLevel.Tenant, RequestLimit = limit, Window = BudgetWindow.Sliding, SlidingWindow = window }],
                    timeProvider: time)))
            .Build();

    [Fact]
    public void DefaultIsTransient_RateLimitExceeded_IsTransientWithItsRetryAfter()
    {
        var denial = new BudgetDenial
        {
            Policy = new BudgetPolicy("rpm") { RequestLimit = 1, Window = BudgetWindow.Minute },
            Key = string.Empty,
            IsRequestLimit = true,
            RetryAfter = TimeSpan.FromSeconds(7),
        };
        var ex = new RateLimitExceededException(GovernanceScope.Empty, denial);
        var options = new RoutingOptions();

        Assert.True(options.IsTransient(ex));
        Assert.Equal(TimeSpan.FromSeconds(7), options.RetryAfter(ex));
    }

    [Fact]
    public async Task GetResponseAsync_RequestLimitFreesLaterThanMaxFailoverDelay_FailsFastWithRetryAfter()
    {
        var time = new FakeTimeProvider();
        var provider = Provider();
        var client = Stack(provider, time, limit: 1, window: TimeSpan.FromMinutes(5));
        using var _ = GovernanceScope.Begin(tenant: "acme");
        await client.GetResponseAsync("hi");

        // Waiting for MaxFailoverDelay could not free a slot of a five-minute window: no wait (the fake clock would hang it).
        var call = client.GetResponseAsync("hi again");
        var ex = await Assert.ThrowsAsync<RateLimitExceededException>(() => call.WaitAsync(TimeSpan.FromSeconds(10), TimeProvider.System));

        Assert.Equal(1, provider.Calls);
        Assert.True(ex.RetryAfter > TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task GetResponseAsync_RequestLimitFreesWithinMaxFailoverDelay_WaitsAndIsAnswered()
    {
        var time = new FakeTimeProvider();
        var provider = Provider();
        var client = Stack(provider, time, limit: 1, window: TimeSpan.FromSeconds(6));
        using var _ = GovernanceScope.Begin(tenant: "acme");
        await client.GetResponseAsync("hi");

        var call = client.GetResponseAsync("hi again");
        for (var i = 0; i < 100 && !call.IsCompleted; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), TimeProvider.System);
            time.Advance(TimeSpan.FromSeconds(1)); // the router waits the window's Retry-After on this clock, then fails over
        }

        var response = await call.WaitAsync(TimeSpan.FromSeconds(10), TimeProvider.System);
        Assert.Equal("ok", response.Text);
        Assert.Equal(2, provider.Calls);
        Assert.Contains("failover:gpt-4o-mini", response.GetGovernance()!.Routing!.Reasons);
    }
}
