using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Replay;

public class ShadowModeTests
{
    private static (IChatClient Client, TestChatClient Provider, List<string?> Models) Build(Action<TokenGovernorPipelineBuilder> pipeline)
    {
        var models = new List<string?>();
        var provider = TestChatClient.Answering("Paris.", null, new UsageDetails { InputTokenCount = 30, OutputTokenCount = 5 });
        var answer = provider.GetResponseAsyncCallback!;
        provider.GetResponseAsyncCallback = async (m, o, ct) =>
        {
            models.Add(o?.ModelId);
            var r = await answer(m, o, ct);
            r.ModelId = o?.ModelId;
            return r;
        };
        var client = new ChatClientBuilder(provider).UseTokenGovernor(pipeline).Build();
        return (client, provider, models);
    }

    [Fact]
    public async Task Budgets_ShadowAndBudgetExhausted_CallGoesThroughAndWouldBeRefusalIsRecorded()
    {
        var ledger = new InMemoryBudgetLedger([new BudgetPolicy("global") { CostLimit = 0m }]);
        var (client, provider, _) = Build(p => p.UseBudgets(ledger: ledger).UseShadowMode());

        var response = await client.GetResponseAsync("What is the capital of France?", new ChatOptions { ModelId = "gpt-4o" });

        Assert.Equal(1, provider.Calls);
        var record = response.GetGovernance()!;
        Assert.Contains("budget:refuse:budget-exhausted", record.ShadowActions);
        Assert.Empty(record.Degradations);
        Assert.Null(record.Refusal);
        Assert.Equal(0m, ledger.GetUsage(GovernanceScope.Empty)[0].SpentCost);
    }

    [Fact]
    public async Task Budgets_ShadowNearLimit_LadderStepsRecordedButOptionsUnchanged()
    {
        var ledger = new InMemoryBudgetLedger([new BudgetPolicy("global") { CostLimit = 1m }]);
        var held = await ledger.ReserveAsync(GovernanceScope.Empty, 0.9m, 0);
        var (client, _, models) = Build(p => p.UseBudgets(ledger: ledger).UseShadowMode());

        var response = await client.GetResponseAsync("Hello", new ChatOptions { ModelId = "gpt-4o" });

        Assert.True(held.IsGranted);
        Assert.Equal("gpt-4o", models.Single());
        Assert.Contains("budget:prefer-cheaper-model", response.GetGovernance()!.ShadowActions);
    }

    [Fact]
    public async Task Routing_Shadow_RequestKeepsItsModelAndTheChoiceIsRecorded()
    {
        var (client, _, models) = Build(p => p.UseModelRouting(o => o.UseOpenAITiers()).UseShadowMode());

        var response = await client.GetResponseAsync("What is the capital of France?", new ChatOptions { ModelId = "gpt-4o" });

        Assert.Equal("gpt-4o", models.Single());
        Assert.Contains("routing:gpt-4o-mini", response.GetGovernance()!.ShadowActions);
        Assert.Null(response.GetGovernance()!.Routing);
    }

    [Fact]
    public async Task Routing_ShadowStreaming_RequestKeepsItsModelAndTheChoiceIsRecorded()
    {
        var (client, _, _) = Build(p => p.UseModelRouting(o => o.UseOpenAITiers()).UseShadowMode());

        var updates = await client.GetStreamingResponseAsync("What is the capital of France?", new ChatOptions { ModelId = "gpt-4o" }).ToListAsync();

        var record = updates.Select(u => u.GetGovernance()).Last(r => r is not null)!;
        Assert.Contains("routing:gpt-4o-mini", record.ShadowActions);
    }

    [Fact]
    public async Task Cache_ShadowRepeatedQuestion_ProviderCalledAgainAndWouldBeHitRecorded()
    {
        var (client, provider, _) = Build(p => p.UseResponseCache().UseShadowMode());
        var options = new ChatOptions { ModelId = "gpt-4o-mini" };

        await client.GetResponseAsync("What is the capital of France?", options);
        var second = await client.GetResponseAsync("What is the capital of France?", options);

        Assert.Equal(2, provider.Calls);
        Assert.Equal(CacheStatus.None, second.GetGovernance()!.Cache);
        Assert.Contains("cache:exact", second.GetGovernance()!.ShadowActions);
    }

    [Fact]
    public async Task LoopGuard_ShadowRunPastMaxSteps_CallsGoThroughAndTheStopIsRecorded()
    {
        var (client, provider, _) = Build(p => p.UseLoopGuard(o => { o.MaxSteps = 2; o.WrapUpAt = 1.0; }).UseShadowMode());
        GovernanceRecord? last = null;

        using (GovernanceScope.Begin(run: "agent-run-1"))
        {
            for (var i = 0; i < 4; i++)
            {
                last = (await client.GetResponseAsync($"Step {i}", new ChatOptions { ModelId = "gpt-4o-mini" })).GetGovernance();
            }
        }

        Assert.Equal(4, provider.Calls);
        Assert.Contains("loop:stopped:steps", last!.ShadowActions);
        Assert.Empty(last.Degradations);
    }
}
