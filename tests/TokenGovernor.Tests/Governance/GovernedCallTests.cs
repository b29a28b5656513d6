using TokenGovernor.Testing;
using static TokenGovernor.Tests.Governance.PipelineHarness;

namespace TokenGovernor.Tests.Governance;

/// <summary>Bad input to a governed pipeline fails with an <see cref="ArgumentException"/> naming the argument, before anything is reserved or sent.</summary>
public class GovernedCallTests
{
    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var kind in new[] { "null-message", "empty-list", "negative-max-output", "zero-max-output" })
        {
            data.Add(kind, false);
            data.Add(kind, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Call_BadInput_ThrowsArgumentExceptionBeforeReservingOrSending(string kind, bool streaming)
    {
        var ledger = new InMemoryBudgetLedger([new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 1m }]);
        var provider = Provider();
        var client = new ChatClientBuilder(provider)
            .UseTokenGovernor(g => g.UseLoopGuard().UseResponseCache().UseBudgets(ledger: ledger))
            .Build();
        using var scope = GovernanceScope.Begin(tenant: "acme", run: "r");
        List<ChatMessage> messages = kind switch
        {
            "null-message" => [new(ChatRole.User, "hi"), null!],
            "empty-list" => [],
            _ => [new(ChatRole.User, "hi")],
        };
        var options = new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = kind switch { "negative-max-output" => -5, "zero-max-output" => 0, _ => 100 } };
        var expectedParameter = kind.EndsWith("max-output", StringComparison.Ordinal) ? "options" : "messages";

        var ex = await Assert.ThrowsAnyAsync<ArgumentException>(async () =>
        {
            if (streaming)
            {
                await foreach (var _ in client.GetStreamingResponseAsync(messages, options))
                {
                }
            }
            else
            {
                await client.GetResponseAsync(messages, options);
            }
        });

        Assert.Equal(expectedParameter, ex.ParamName);
        Assert.Equal(0, provider.Calls);
        Assert.Equal(0m, ledger.GetUsage(new GovernanceScope { Tenant = "acme" })[0].SpentCost);
        Assert.Equal(0, ledger.OutstandingReservations);
    }

    [Fact]
    public void GetStreamingResponseAsync_BadInput_ThrowsAtTheCallNotOnFirstMoveNext()
    {
        var client = new ChatClientBuilder(Provider()).UseTokenGovernor().Build();

        Assert.Throws<ArgumentException>("messages", () => client.GetStreamingResponseAsync(new List<ChatMessage>(), new ChatOptions { ModelId = "gpt-4o" }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Call_NullMessageLayerUsedAlone_ThrowsArgumentException(bool streaming)
    {
        var provider = Provider();
        var client = new LoopGuardChatClient(provider);
        List<ChatMessage> messages = [null!];

        await Assert.ThrowsAsync<ArgumentException>("messages", async () =>
        {
            if (streaming)
            {
                await foreach (var _ in client.GetStreamingResponseAsync(messages))
                {
                }
            }
            else
            {
                await client.GetResponseAsync(messages);
            }
        });
        Assert.Equal(0, provider.Calls);
    }

    public static TheoryData<bool> Completions() => new() { true, false };

    [Theory]
    [MemberData(nameof(Completions))]
    public async Task GetResponseAsync_ProviderCompletesSyncOrLater_ContextEndsWithTheCall(bool synchronous)
    {
        var usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 10 };
        var provider = synchronous ? TestChatClient.Answering("hi", "gpt-4o", usage) : Later(TestChatClient.Answering("hi", "gpt-4o", usage));
        var first = new CostMeteringChatClient(provider, PriceCatalog.BuiltIn);
        var second = new CostMeteringChatClient(provider, PriceCatalog.BuiltIn);
        var options = new ChatOptions { ModelId = "gpt-4o" };

        var one = await first.GetResponseAsync([new(ChatRole.User, "a")], options);
        var two = await second.GetResponseAsync([new(ChatRole.User, "b")], options);

        // Had the first call's context stayed current, the second would have joined it and carried no record of its own.
        Assert.Equal(1, one.GetGovernance()!.ProviderCalls);
        Assert.Equal(1, two.GetGovernance()!.ProviderCalls);
        Assert.Equal(100, two.GetGovernance()!.Usage.TotalInputTokens);
        Assert.NotSame(one.GetGovernance(), two.GetGovernance());
    }

    [Fact]
    public void GetResponseAsync_ProviderThrowsSynchronously_ReturnsFaultedTaskAndMetersNothing()
    {
        var provider = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => throw new InvalidOperationException("down") };
        var sink = new RecordingSink();
        var client = new CostMeteringChatClient(provider, PriceCatalog.BuiltIn, sinks: [sink]);

        var task = client.GetResponseAsync([new(ChatRole.User, "a")], new ChatOptions { ModelId = "gpt-4o" });

        Assert.True(task.IsFaulted);
        Assert.IsType<InvalidOperationException>(task.Exception!.InnerException);
        Assert.Empty(sink.Records);
    }

    [Fact]
    public void GetResponseAsync_ProviderCancelsSynchronously_ReturnsCanceledTask()
    {
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var provider = new TestChatClient { GetResponseAsyncCallback = (_, _, ct) => throw new OperationCanceledException(ct) };
        var client = new CostMeteringChatClient(provider, PriceCatalog.BuiltIn);

        var task = client.GetResponseAsync([new(ChatRole.User, "a")], new ChatOptions { ModelId = "gpt-4o" }, cts.Token);

        Assert.True(task.IsCanceled);
    }

    [Fact]
    public void GetResponseAsync_UnknownModel_ReturnsFaultedTaskInsteadOfThrowing()
    {
        var client = new CostMeteringChatClient(Provider(), PriceCatalog.BuiltIn);

        var task = client.GetResponseAsync([new(ChatRole.User, "a")], new ChatOptions { ModelId = "no-such-model-xyz" });

        Assert.True(task.IsFaulted);
        Assert.IsType<UnknownModelException>(task.Exception!.InnerException);
    }

    private static TestChatClient Later(TestChatClient inner) => new()
    {
        GetResponseAsyncCallback = async (messages, options, ct) =>
        {
            await Task.Yield();
            return await inner.GetResponseAsync(messages, options, ct);
        },
    };
}
