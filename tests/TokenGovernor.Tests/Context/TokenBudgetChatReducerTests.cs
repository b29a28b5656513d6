using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Context;

public class TokenBudgetChatReducerTests
{
    private static TestChatClient Summarizer(List<IList<ChatMessage>>? prompts = null) => new()
    {
        GetResponseAsyncCallback = (messages, _, _) =>
        {
            prompts?.Add(messages.ToList());
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Earlier: the agent read Parser.cs and ran the tests; CS8604 at line 12 remains.")));
        },
    };

    /// <summary>An agent conversation: system prompt, task, then steps of (assistant tool call, tool result with a long log).</summary>
    private static List<ChatMessage> AgentConversation(int steps)
    {
        var list = new List<ChatMessage>
        {
            new(ChatRole.System, "You are a coding agent. Read files, run tests and fix the build."),
            new(ChatRole.User, "Fix the failing test in Parser.Tests."),
        };
        for (var i = 0; i < steps; i++)
        {
            AddStep(list, i);
        }

        return list;
    }

    private static void AddStep(List<ChatMessage> list, int i)
    {
        list.Add(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"call_{i}", "run_tests", new Dictionary<string, object?> { ["path"] = $"tests/{i}" })]));
        list.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent($"call_{i}", $"Step {i}: Build FAILED. Parser.cs(12,5): error CS8604 " + string.Concat(Enumerable.Repeat($"at Parser.Parse{i}(String line) ", 25)))]));
    }

    [Fact]
    public async Task ReduceAsync_UnderBudget_ReturnsMessagesUnchanged()
    {
        var messages = AgentConversation(2);
        var reduced = await new TokenBudgetChatReducer(new TokenBudgetChatReducerOptions { MaxTokens = 100_000 }).ReduceAsync(messages, default);

        Assert.Equal(messages, reduced);
    }

    [Fact]
    public async Task ReduceAsync_OverBudget_KeepsSystemPromptAndStaysWithinBudget()
    {
        var reducer = new TokenBudgetChatReducer(new TokenBudgetChatReducerOptions { MaxTokens = 2_000, SummaryMaxTokens = 200 }, Summarizer());
        var reduced = (await reducer.ReduceAsync(AgentConversation(30), default)).ToList();

        Assert.Equal(ChatRole.System, reduced[0].Role);
        Assert.Contains("[Summary of the earlier conversation]", reduced[1].Text, StringComparison.Ordinal);
        Assert.InRange(TiktokenTokenEstimator.Default.CountPromptTokens(reduced, null, "gpt-4o"), 1, 2_000);
    }

    [Fact]
    public async Task ReduceAsync_ToolCallsAndResults_AreNeverSeparated()
    {
        for (var budget = 300; budget <= 3_000; budget += 137)
        {
            var reduced = (await new TokenBudgetChatReducer(new TokenBudgetChatReducerOptions { MaxTokens = budget }).ReduceAsync(AgentConversation(20), default)).ToList();
            var calls = reduced.SelectMany(m => m.Contents.OfType<FunctionCallContent>()).Select(c => c.CallId).ToHashSet();
            var results = reduced.SelectMany(m => m.Contents.OfType<FunctionResultContent>()).Select(r => r.CallId).ToHashSet();

            Assert.Equal(calls, results);
            Assert.NotEqual(ChatRole.Tool, reduced.First(m => m.Role != ChatRole.System).Role);
        }
    }

    [Fact]
    public async Task ReduceAsync_SameDrop_IsSummarisedOnceThenIncrementally()
    {
        var prompts = new List<IList<ChatMessage>>();
        var reducer = new TokenBudgetChatReducer(new TokenBudgetChatReducerOptions { MaxTokens = 2_000 }, Summarizer(prompts));
        var conversation = AgentConversation(20);

        await reducer.ReduceAsync(conversation, default);
        await reducer.ReduceAsync(conversation, default);
        Assert.Equal(1, reducer.SummaryCalls);

        AddStep(conversation, 20);
        AddStep(conversation, 21);
        await reducer.ReduceAsync(conversation, default);

        Assert.Equal(2, reducer.SummaryCalls);
        var second = prompts[1];
        Assert.Contains(second, m => m.Text.StartsWith("Summary so far:", StringComparison.Ordinal));
        Assert.DoesNotContain("Step 0:", second[^1].Text, StringComparison.Ordinal); // only the newly dropped turns are sent
    }

    [Fact]
    public async Task ReduceAsync_FortyStepAgent_SendsAtLeast60PercentFewerTokens()
    {
        var reducer = new TokenBudgetChatReducer(new TokenBudgetChatReducerOptions { MaxTokens = 2_000 }, Summarizer());
        var conversation = AgentConversation(0);
        long without = 0, with = 0;
        for (var step = 0; step < 40; step++)
        {
            AddStep(conversation, step);
            without += TiktokenTokenEstimator.Default.CountPromptTokens(conversation, null, "gpt-4o");
            with += TiktokenTokenEstimator.Default.CountPromptTokens((await reducer.ReduceAsync(conversation, default)).ToList(), null, "gpt-4o");
        }

        var saved = 1 - ((double)with / without);
        Console.WriteLine($"40-step agent: {without:N0} tokens sent without the reducer, {with:N0} with it: {saved:P1} fewer");
        Assert.True(saved >= 0.60, $"{without:N0} tokens without the reducer, {with:N0} with it: {saved:P0} fewer");
    }

    [Fact]
    public async Task UseChatReducer_WithReducer_ModelSeesReducedHistory()
    {
        var seen = new List<int>();
        var model = new TestChatClient
        {
            GetResponseAsyncCallback = (messages, _, _) =>
            {
                seen.Add(TiktokenTokenEstimator.Default.CountPromptTokens(messages.ToList(), null, "gpt-4o"));
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = "gpt-4o" });
            },
        };
        var client = new ChatClientBuilder(model).UseChatReducer(new TokenBudgetChatReducer(new TokenBudgetChatReducerOptions { MaxTokens = 1_500 })).Build();

        await client.GetResponseAsync(AgentConversation(30), new ChatOptions { ModelId = "gpt-4o" });

        Assert.InRange(Assert.Single(seen), 1, 1_500);
    }
}
