using System.ClientModel;

namespace TokenGovernor.IntegrationTests;

/// <summary>The governed stack over the real OpenAI SDK and HTTP: metering to the cent, budgets, routing, caching, tools.</summary>
public class OpenAISdkIntegrationTests
{
    private static ChatOptions Options(bool bypassCache = false) => new()
    {
        AdditionalProperties = bypassCache ? new AdditionalPropertiesDictionary { [ResponseCacheOptions.BypassKey] = true } : null,
    };

    [Fact]
    public async Task GetResponse_FullStack_MetersExactlyWhatTheServerReported()
    {
        await using var stack = await GovernedStack.StartAsync();
        stack.Server.CachedTokens = 16;

        for (var i = 0; i < 5; i++)
        {
            await stack.Client.GetResponseAsync($"What is {i} plus {i}?", Options());
        }

        Assert.Equal(5, stack.Server.Reported.Count);
        Assert.Equal(stack.ReportedCost, stack.Costs.TotalCost);
        Assert.Equal(stack.ReportedCost, stack.Spent);
        Assert.Equal(0m, stack.Reserved);
    }

    [Fact]
    public async Task GetStreamingResponse_FullStack_MetersTheFinalUsageChunkExactly()
    {
        await using var stack = await GovernedStack.StartAsync();
        stack.Server.CachedTokens = 8;

        var text = "";
        await foreach (var update in stack.Client.GetStreamingResponseAsync("Name three primary colours.", Options()))
        {
            text += update.Text;
        }

        Assert.StartsWith("Answer to: Name three primary colours", text, StringComparison.Ordinal);
        Assert.Single(stack.Server.Reported);
        Assert.Equal(stack.ReportedCost, stack.Costs.TotalCost);
        Assert.Equal(stack.ReportedCost, stack.Spent);
    }

    [Fact]
    public async Task ReasoningTokens_ReportedInCompletionDetails_ArePricedAtTheReasoningRate()
    {
        await using var stack = await GovernedStack.StartAsync(pipeline: p => p.UseBudgets().UseCostMetering());
        stack.Server.ReasoningTokens = 400;

        var response = await stack.Client.GetResponseAsync("Prove that there are infinitely many primes.", new ChatOptions { ModelId = "o3" });

        Assert.Equal(400, response.GetGovernance()!.Usage.ReasoningTokens);
        Assert.Equal(stack.ReportedCost, stack.Costs.TotalCost);
    }

    [Fact]
    public async Task ToolCalls_WithFunctionInvocation_MetersEveryRoundTrip()
    {
        await using var stack = await GovernedStack.StartAsync();
        var weather = AIFunctionFactory.Create((string city) => $"18°C and sunny in {city}", "get_weather", "Gets the weather for a city.");

        var response = await stack.Client.GetResponseAsync("What is the weather in Paris?", new ChatOptions { Tools = [weather] });

        Assert.Equal(2, stack.Server.ChatRequests); // the tool call, then the answer with the tool's result
        Assert.Contains("Answer to", response.Text, StringComparison.Ordinal);
        Assert.Equal(stack.ReportedCost, stack.Costs.TotalCost);
        Assert.Equal(stack.ReportedCost, stack.Spent);
    }

    [Fact]
    public async Task ExactCache_SameQuestionTwice_SecondNeverReachesTheServer()
    {
        await using var stack = await GovernedStack.StartAsync();

        await stack.Client.GetResponseAsync("What is the capital of France?", Options());
        var second = await stack.Client.GetResponseAsync("What is the capital of France?", Options());

        Assert.Equal(1, stack.Server.ChatRequests);
        Assert.Equal(CacheStatus.Exact, second.GetGovernance()!.Cache);
        Assert.Equal(stack.ReportedCost, stack.Spent);
    }

    [Fact]
    public async Task SemanticCache_WithOpenAIEmbeddings_ParaphraseServedFromCache()
    {
        await using var stack = await GovernedStack.StartAsync(pipeline: p => p.UseSemanticCache(o => o.EnableExact = false).UseBudgets().UseCostMetering());

        await stack.Client.GetResponseAsync("How do I reset my password?", new ChatOptions { ModelId = "gpt-4o-mini" });
        var second = await stack.Client.GetResponseAsync("How do I reset my password ?", new ChatOptions { ModelId = "gpt-4o-mini" });

        Assert.Equal(1, stack.Server.ChatRequests);
        Assert.Equal(CacheStatus.Semantic, second.GetGovernance()!.Cache);
    }

    [Fact]
    public async Task Routing_EasyAndHardQuestions_ReachTheServerAsDifferentModels()
    {
        await using var stack = await GovernedStack.StartAsync();

        await stack.Client.GetResponseAsync("What is the capital of Italy?", Options());
        await stack.Client.GetResponseAsync(
            "Design a distributed, fault-tolerant rate limiter for a multi-region API: compare token bucket and sliding window, " +
            "analyse the consistency trade-offs step by step, and prove the worst-case overspend bound.", Options());

        var models = stack.Server.RequestedModels.ToArray();
        Assert.Equal("gpt-4o-mini", models[0]);
        Assert.NotEqual("gpt-4o-mini", models[1]);
        Assert.Equal(stack.ReportedCost, stack.Costs.TotalCost);
    }

    [Fact]
    public async Task Budget_TooSmallForTheCall_RefusedBeforeTheServerIsCalled()
    {
        await using var stack = await GovernedStack.StartAsync(budget: 0.000001m);

        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => stack.Client.GetResponseAsync("Write a long essay about budgets.", Options()));

        Assert.Equal("budget-exhausted", ex.Reason);
        Assert.Equal(0, stack.Server.ChatRequests);
        Assert.Equal(0m, stack.Spent);
    }

    [Fact]
    public async Task Budget_ManyParallelCallers_NeverOverspendAndEveryCentIsCounted()
    {
        await using var stack = await GovernedStack.StartAsync(budget: 0.002m);

        var refused = 0;
        await Parallel.ForAsync(0, 40, async (i, ct) =>
        {
            try
            {
                await stack.Client.GetResponseAsync($"Question number {i}: what is {i} squared?", Options(), ct);
            }
            catch (BudgetExceededException)
            {
                Interlocked.Increment(ref refused);
            }
        });

        Assert.True(refused > 0, "the budget must bind for the test to mean anything");
        Assert.True(stack.Spent <= 0.002m);
        Assert.Equal(stack.ReportedCost, stack.Spent);
        Assert.Equal(stack.ReportedCost, stack.Costs.TotalCost);
        Assert.Equal(0m, stack.Reserved);
    }
}
