using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Context;

public class OutputBudgetChatClientTests
{
    private static (IChatClient Client, List<ChatOptions?> Seen) Create(Action<OutputBudgetOptions>? configure = null)
    {
        var seen = new List<ChatOptions?>();
        var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, o, _) =>
            {
                seen.Add(o);
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")));
            },
            GetStreamingResponseAsyncCallback = (_, o, ct) =>
            {
                seen.Add(o);
                return TestChatClient.Stream("ok", "gpt-4o", null, ct);
            },
        };
        return (new ChatClientBuilder(inner).UseOutputBudgetHints(configure).Build(), seen);
    }

    [Fact]
    public async Task GetResponseAsync_ShortQuestion_GetsShortBudgetAndCapWithHeadroom()
    {
        var (client, seen) = Create();

        await client.GetResponseAsync("What are your opening hours?", new ChatOptions { ModelId = "gpt-4o" });

        Assert.Contains("within 150 tokens", seen[0]!.Instructions, StringComparison.Ordinal);
        Assert.Equal(225, seen[0]!.MaxOutputTokens);
    }

    [Fact]
    public async Task GetResponseAsync_FeatureBudget_WinsOverTheDefault()
    {
        var (client, seen) = Create(o => o.FeatureBudgets["summaries"] = 80);
        using var _ = GovernanceScope.Begin(feature: "summaries");

        await client.GetResponseAsync("Summarise this long text please " + new string('x', 2000), new ChatOptions { ModelId = "gpt-4o", Instructions = "Be kind." });

        Assert.StartsWith("Be kind.\n", seen[0]!.Instructions, StringComparison.Ordinal);
        Assert.Contains("within 80 tokens", seen[0]!.Instructions, StringComparison.Ordinal);
        Assert.Equal(120, seen[0]!.MaxOutputTokens);
    }

    [Fact]
    public async Task GetResponseAsync_SmallerExplicitCap_IsKept()
    {
        var (client, seen) = Create();
        var options = new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 50 };

        await client.GetResponseAsync("hi", options);

        Assert.Equal(50, seen[0]!.MaxOutputTokens);
        Assert.Null(options.Instructions); // the caller's options are not changed
    }

    [Fact]
    public async Task GetResponseAsync_ToolsOffered_IsLeftAlone()
    {
        var (client, seen) = Create();

        await client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o", Tools = [AIFunctionFactory.Create(() => 1, "one")] });

        Assert.Null(seen[0]!.Instructions);
        Assert.Null(seen[0]!.MaxOutputTokens);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_AppliesTheSameBudget()
    {
        var (client, seen) = Create();

        await client.GetStreamingResponseAsync("What are your opening hours?", new ChatOptions { ModelId = "gpt-4o" }).ToChatResponseAsync();

        Assert.Equal(225, seen[0]!.MaxOutputTokens);
    }
}
