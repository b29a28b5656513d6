using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Replay;

public class TrafficRecordingChatClientTests
{
    private static IChatClient Recorded(StringWriter log, bool recordMessages = true, decimal? budget = null)
    {
        var provider = TestChatClient.Answering("Paris.", "gpt-4o-mini", new UsageDetails { InputTokenCount = 30, CachedInputTokenCount = 10, OutputTokenCount = 5 });
        var builder = new ChatClientBuilder(provider).UseTrafficRecording(log, recordMessages);
        return builder.UseTokenGovernor(p =>
        {
            if (budget is { } limit)
            {
                p.UseBudgets(ledger: new InMemoryBudgetLedger([new BudgetPolicy("global") { CostLimit = limit }]));
            }
        }).Build();
    }

    [Fact]
    public async Task GetResponse_Governed_RecordsScopeModelMessagesAndProviderUsage()
    {
        var log = new StringWriter();
        var client = Recorded(log);

        using (GovernanceScope.Begin(tenant: "acme", feature: "support"))
        {
            await client.GetResponseAsync("What is the capital of France?", new ChatOptions { ModelId = "gpt-4o-mini", MaxOutputTokens = 100 });
        }

        var entry = TrafficLog.Parse(log.ToString().Trim());
        Assert.Equal("acme", entry.Scope.Tenant);
        Assert.Equal("support", entry.Scope.Feature);
        Assert.Equal("gpt-4o-mini", entry.ModelId);
        Assert.Equal(100, entry.MaxOutputTokens);
        Assert.Equal("What is the capital of France?", entry.Messages!.Single().Text);
        Assert.Equal(new TokenUsage(20, 10, 0, 5, 0), entry.Usage);
        Assert.Equal("Paris.", entry.ResponseText);
    }

    [Fact]
    public async Task GetStreamingResponse_Governed_RecordsTheSameAsNonStreaming()
    {
        var log = new StringWriter();
        var client = Recorded(log);

        await foreach (var _ in client.GetStreamingResponseAsync("What is the capital of France?", new ChatOptions { ModelId = "gpt-4o-mini" }))
        {
        }

        var entry = TrafficLog.Parse(log.ToString().Trim());
        Assert.Equal(new TokenUsage(20, 10, 0, 5, 0), entry.Usage);
        Assert.Equal("Paris.", entry.ResponseText!.Trim()); // the test client streams word by word
    }

    [Fact]
    public async Task GetResponse_WithoutMessages_RecordsOnlyTheTokenCount()
    {
        var log = new StringWriter();
        var client = Recorded(log, recordMessages: false);

        await client.GetResponseAsync("My card number is 4111 1111 1111 1111", new ChatOptions { ModelId = "gpt-4o-mini" });

        var line = log.ToString();
        Assert.DoesNotContain("4111", line, StringComparison.Ordinal);
        var entry = TrafficLog.Parse(line.Trim());
        Assert.Null(entry.Messages);
        Assert.True(entry.InputTokens > 10);
    }

    [Fact]
    public async Task GetResponse_Refused_RecordsTheRefusalAndRethrows()
    {
        var log = new StringWriter();
        var client = Recorded(log, budget: 0m);

        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("Hello", new ChatOptions { ModelId = "gpt-4o-mini" }));

        var entry = TrafficLog.Parse(log.ToString().Trim());
        Assert.Equal("budget-exhausted", entry.Refusal);
        Assert.Null(entry.Usage);
    }
}
