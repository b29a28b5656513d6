using TokenGovernor.Testing;
using static TokenGovernor.Tests.Governance.PipelineHarness;

namespace TokenGovernor.Tests.Governance;

/// <summary>
/// An owner with nothing below that reads the context keeps it private (never current); an owner with a governed layer below,
/// behind any decorators, makes it current so that layer joins; a shared context sums concurrent metered calls exactly.
/// </summary>
public class PrivateContextTests
{
    private static InMemoryBudgetLedger Ledger() => new([new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 10m }]);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Call_MeteringAloneOverProvider_ProviderSeesNoCurrentContext(bool streaming)
    {
        var seen = new List<bool>();
        var provider = Provider();
        var probe = new ChatClientBuilder(provider)
            .Use((messages, options, next, ct) =>
            {
                lock (seen)
                {
                    seen.Add(GovernanceContext.Current is not null);
                }

                return next(messages, options, ct);
            })
            .Build();
        var client = new CostMeteringChatClient(probe, PriceCatalog.BuiltIn);

        var (records, _) = await CallAsync(client, streaming, options: new ChatOptions { ModelId = "gpt-4o" });

        Assert.Single(records);
        Assert.Equal([false], seen);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Call_MeteringOwnerOverBudgetsBehindForeignDecorators_BudgetsJoinAndCallerGetsOneRecord(bool streaming)
    {
        var ledger = Ledger();
        var sink = new RecordingSink();
        // The unusual order (metering outermost) makes metering the owner with a governed layer below it: it must find
        // that layer through M.E.AI's decorators and a user's iterator, and make the context current for it.
        var belowMetering = new ChatClientBuilder(Provider())
            .UseBudgets(ledger)
            .UseOpenTelemetry()
            .UseEnabledLogging()
            .UseUserIterator()
            .Build();
        var client = new CostMeteringChatClient(belowMetering, PriceCatalog.BuiltIn, sinks: [sink]);
        using var scope = GovernanceScope.Begin(tenant: "acme");

        var (records, response) = await CallAsync(client, streaming, options: new ChatOptions { ModelId = "gpt-4o" });

        var record = Assert.Single(records);
        Assert.Single(sink.Records);
        Assert.Equal(1, record.ProviderCalls);
        Assert.True(record.Cost.Total > 0m);
        Assert.Equal(record.Cost.Total, record.BudgetSettled);
        Assert.Equal(record.Cost.Total, ledger.GetUsage(new GovernanceScope { Tenant = "acme" })[0].SpentCost);
        Assert.Equal(0, ledger.OutstandingReservations);
        Assert.Equal("gpt-4o", response.ModelId);
    }

    [Fact]
    public async Task GetResponseAsync_ManyMeteredCallsInParallelBelowOneOwner_RecordSumsEveryCall()
    {
        const int Calls = 64;
        var usage = new UsageDetails { InputTokenCount = 1_000, OutputTokenCount = 7 };
        // The provider holds every call until all of them have arrived: they are all in flight through metering at once.
        var arrived = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = new TestChatClient
        {
            GetResponseAsyncCallback = async (_, _, _) =>
            {
                if (Interlocked.Increment(ref arrived) == Calls)
                {
                    all.SetResult();
                }

                await all.Task.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = "gpt-4o", Usage = usage };
            },
        };
        var metered = new CostMeteringChatClient(provider, PriceCatalog.BuiltIn);
        // A fan-out between the owner (budgets) and metering: parallel tool calls that each reach the provider, all joining
        // the owner's one context from many threads at once.
        var fanOut = new ChatClientBuilder(metered)
            .Use(async (messages, options, next, ct) =>
            {
                await Task.WhenAll(Enumerable.Range(0, Calls).Select(_ => Task.Run(() => next(messages, options, ct), ct))).ConfigureAwait(false);
            })
            .Build();
        var client = new BudgetChatClient(fanOut, Ledger(), new CostEstimator(PriceCatalog.BuiltIn, TiktokenTokenEstimator.Default));
        using var scope = GovernanceScope.Begin(tenant: "acme");

        var response = await client.GetResponseAsync([new(ChatRole.User, "go")], new ChatOptions { ModelId = "gpt-4o" });

        var record = response.GetGovernance()!;
        var one = CostCalculator.Calculate(usage, PriceCatalog.BuiltIn.GetPrice("gpt-4o"));
        Assert.Equal(Calls, record.ProviderCalls);
        Assert.Equal(Calls * 1_000L, record.Usage.TotalInputTokens);
        Assert.Equal(Calls * 7L, record.Usage.TotalOutputTokens);
        Assert.Equal(Calls * one.Total, record.Cost.Total);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Suspend_InsideAnotherMeteringLayersInnerCall_SideCallIsMeteredByItsOwnLayer(bool streaming)
    {
        // A side call (the cache's verifier) made under Suspend from inside a metering layer's inner call (a deployment client
        // with its own cache): its provider call is not part of the outer call's response, so its own metering must price it.
        var outer = new GovernanceContext(GovernanceScope.Resolve(null), DateTimeOffset.UnixEpoch, streaming: false);
        var side = new CostMeteringChatClient(Provider(), PriceCatalog.BuiltIn);
        List<GovernanceRecord> records;
        using (GovernanceContext.Enter(outer))
        using (GovernanceContext.EnterMetering(new object()))
        {
            Assert.True(GovernanceContext.InMetering);
            using (GovernanceContext.Suspend())
            {
                Assert.False(GovernanceContext.InMetering);
                (records, _) = await CallAsync(side, streaming, options: new ChatOptions { ModelId = "gpt-4o" });
            }

            Assert.True(GovernanceContext.InMetering);
            Assert.Same(outer, GovernanceContext.Current);
        }

        var record = Assert.Single(records);
        Assert.Equal(1, record.ProviderCalls);
        Assert.True(record.Cost.Total > 0m);
        Assert.False(GovernanceContext.InMetering);
    }
}
