using Microsoft.Extensions.Time.Testing;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Loops;

/// <summary>The loop guard's per-session state (failure history, cost circuits) is bounded, and forgetting never weakens a live decision.</summary>
public class LoopGuardStateEvictionTests
{
    private static readonly UsageDetails s_usage = new() { InputTokenCount = 900, OutputTokenCount = 100 }; // gpt-4o: $0.00325

    private static ChatOptions Gpt4o => new() { ModelId = "gpt-4o" };

    private static TestChatClient Answering() => new()
    {
        GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = "gpt-4o", Usage = s_usage }),
    };

    private static TestChatClient Failing() => new() { GetResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("503") };

    private static LoopGuardChatClient Guard(IChatClient model, LoopGuardOptions options, TimeProvider time) =>
        new(new CostMeteringChatClient(model, PriceCatalog.BuiltIn), options, time);

    private static async Task CallAs(LoopGuardChatClient guard, string session)
    {
        using var _ = GovernanceScope.Begin(session: session);
        try
        {
            await guard.GetResponseAsync("go", Gpt4o);
        }
        catch (Exception ex) when (ex is HttpRequestException or AgentLimitExceededException)
        {
        }
    }

    [Fact]
    public async Task RetryStormDetector_ManySessionsFailOnce_KeepsAtMostMaxTrackedScopes()
    {
        var time = new FakeTimeProvider();
        var guard = Guard(Failing(), new LoopGuardOptions { MaxTrackedScopes = 100, RetryStormWindow = TimeSpan.FromMinutes(1) }, time);

        for (var i = 0; i < 2_000; i++)
        {
            await CallAs(guard, "s" + i);
            time.Advance(TimeSpan.FromMilliseconds(50));
        }

        Assert.InRange(guard.TrackedCounts.FailureScopes, 1, 100);
    }

    [Fact]
    public async Task RetryStormDetector_FailuresAgedOut_SessionIsForgottenOnItsNextCall()
    {
        var time = new FakeTimeProvider();
        var guard = Guard(Failing(), new LoopGuardOptions { RetryStormWindow = TimeSpan.FromMinutes(1) }, time);
        await CallAs(guard, "s1");
        Assert.Equal(1, guard.TrackedCounts.FailureScopes);

        time.Advance(TimeSpan.FromMinutes(2));
        var answering = Guard(Answering(), new LoopGuardOptions(), time);
        using (GovernanceScope.Begin(session: "s1"))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => guard.GetResponseAsync("go", Gpt4o)); // the check ages the old failure out
        }

        Assert.Equal(1, guard.TrackedCounts.FailureScopes); // only the failure just recorded
        Assert.Equal(0, answering.TrackedCounts.FailureScopes);
    }

    [Fact]
    public async Task RetryStormDetector_StormingSessionAmongThousandsOfIdleOnes_StillFailsFast()
    {
        var time = new FakeTimeProvider();
        var guard = Guard(Failing(), new LoopGuardOptions { MaxTrackedScopes = 50, RetryStormFailures = 3, RetryStormWindow = TimeSpan.FromMinutes(10) }, time);
        for (var i = 0; i < 3; i++)
        {
            await CallAs(guard, "storm");
        }

        // 500 other sessions fail once each within the window: over the cap, those with fewest failures are forgotten first.
        time.Advance(TimeSpan.FromSeconds(1));
        for (var i = 0; i < 500; i++)
        {
            await CallAs(guard, "other" + i);
        }

        using var _ = GovernanceScope.Begin(session: "storm");
        var ex = await Assert.ThrowsAsync<AgentLimitExceededException>(() => guard.GetResponseAsync("go", Gpt4o));
        Assert.Equal("retry-storm", ex.Limit);
        Assert.InRange(guard.TrackedCounts.FailureScopes, 1, 50);
    }

    [Fact]
    public async Task CostCircuitBreaker_ManySessionsSpendALittle_KeepsAtMostMaxTrackedScopes()
    {
        var time = new FakeTimeProvider();
        var guard = Guard(Answering(), new LoopGuardOptions { MaxTrackedScopes = 100, CircuitCostThreshold = 1m, CircuitWindow = TimeSpan.FromMinutes(1) }, time);

        for (var i = 0; i < 2_000; i++)
        {
            await CallAs(guard, "s" + i);
            time.Advance(TimeSpan.FromMilliseconds(50));
        }

        Assert.InRange(guard.TrackedCounts.CircuitScopes, 1, 100);
    }

    [Fact]
    public async Task CostCircuitBreaker_OpenCircuitAmongThousandsOfSessions_IsNeverForgotten()
    {
        var time = new FakeTimeProvider();
        var guard = Guard(Answering(), new LoopGuardOptions { MaxTrackedScopes = 20, CircuitCostThreshold = 0.005m, CircuitCoolDown = TimeSpan.FromHours(1) }, time);
        await CallAs(guard, "runaway");
        await CallAs(guard, "runaway"); // $0.0065 in the window: opens

        for (var i = 0; i < 1_000; i++)
        {
            await CallAs(guard, "other" + i);
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal(CircuitState.Open, guard.GetCircuitState("runaway"));
        using var _ = GovernanceScope.Begin(session: "runaway");
        await Assert.ThrowsAsync<CostCircuitOpenException>(() => guard.GetResponseAsync("go", Gpt4o));
    }

    [Fact]
    public async Task CostCircuitBreaker_HalfOpenProbeFails_NextCallIsTheProbe()
    {
        var time = new FakeTimeProvider();
        var fail = false;
        var model = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) => fail
                ? throw new HttpRequestException("503")
                : Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = "gpt-4o", Usage = s_usage }),
        };
        var guard = Guard(model, new LoopGuardOptions { CircuitCostThreshold = 0.005m, CircuitCoolDown = TimeSpan.FromMinutes(2) }, time);
        await CallAs(guard, "s1");
        await CallAs(guard, "s1"); // opens
        time.Advance(TimeSpan.FromMinutes(2));

        fail = true;
        await CallAs(guard, "s1"); // the probe fails without an answer
        fail = false;
        using var _ = GovernanceScope.Begin(session: "s1");
        var response = await guard.GetResponseAsync("go", Gpt4o); // probes again instead of being refused forever

        Assert.Equal("ok", response.Text);
        Assert.Equal(CircuitState.Closed, guard.GetCircuitState("s1"));
    }

    [Fact]
    public async Task RetryStormDetector_ManyConcurrentCallersChurningSessions_LosesNoFailureOfALiveSession()
    {
        var time = new FakeTimeProvider();
        var guard = Guard(Failing(), new LoopGuardOptions { MaxTrackedScopes = 16, RetryStormFailures = 1_600, RetryStormWindow = TimeSpan.FromHours(1) }, time);

        // 16 callers: each fails 100 times on the shared session "hot" and 100 times on sessions of its own, so sweeps run throughout.
        await Task.WhenAll(Enumerable.Range(0, 16).Select(c => Task.Run(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await CallAs(guard, "hot");
                await CallAs(guard, $"c{c}-{i}");
            }
        })));

        // "hot" has the most failures, so sweeps keep it; a failure lost to a race with a sweep would leave it one short of the storm.
        using var _ = GovernanceScope.Begin(session: "hot");
        var storm = await Record.ExceptionAsync(() => guard.GetResponseAsync("go", Gpt4o));
        Assert.IsType<AgentLimitExceededException>(storm);
        Assert.InRange(guard.TrackedCounts.FailureScopes, 1, 16 + 16);
    }
}
