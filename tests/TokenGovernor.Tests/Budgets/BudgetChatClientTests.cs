using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Budgets;

public class BudgetChatClientTests
{
    private static readonly GovernanceScope s_scope = new() { Tenant = "acme", Feature = "support" };

    /// <summary>A provider that bills the prompt as counted and min(cap, 200) output tokens.</summary>
    private static TestChatClient Provider(List<ChatOptions?>? seen = null, int outputTokens = 200) => new()
    {
        GetResponseAsyncCallback = (messages, options, _) =>
        {
            lock (seen ?? [])
            {
                seen?.Add(options);
            }

            return Task.FromResult(Response(messages, options, outputTokens));
        },
        GetStreamingResponseAsyncCallback = (messages, options, ct) => Stream(Response(messages, options, outputTokens), ct),
    };

    private static ChatResponse Response(IEnumerable<ChatMessage> messages, ChatOptions? options, int outputTokens)
    {
        var model = options?.ModelId ?? "gpt-4o";
        var output = Math.Min(options?.MaxOutputTokens ?? int.MaxValue, outputTokens);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, "answer"))
        {
            ModelId = model,
            Usage = new UsageDetails { InputTokenCount = TiktokenTokenEstimator.Default.CountPromptTokens(messages, options, model), OutputTokenCount = output },
        };
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> Stream(ChatResponse response, [EnumeratorCancellation] CancellationToken ct)
    {
        for (var i = 0; i < 5; i++)
        {
            ct.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, "word ") { ModelId = response.ModelId };
        }

        yield return new ChatResponseUpdate { Contents = [new UsageContent(response.Usage!)], ModelId = response.ModelId };
    }

    private static IChatClient Pipeline(IChatClient provider, InMemoryBudgetLedger ledger, Action<BudgetOptions>? configure = null) =>
        new ChatClientBuilder(provider).UseBudgets(ledger, configure).UseCostMetering().Build();

    private static InMemoryBudgetLedger Ledger(decimal limit, BudgetMode mode = BudgetMode.Strict) =>
        new([new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = limit, Mode = mode }]);

    private static ChatOptions Gpt4o(int? maxOutput = 1000) => new() { ModelId = "gpt-4o", MaxOutputTokens = maxOutput };

    [Fact]
    public async Task GetResponseAsync_WithinBudget_SettlesExactlyTheMeteredCost()
    {
        var ledger = Ledger(10m);
        var client = Pipeline(Provider(), ledger);
        using var _ = GovernanceScope.Begin(tenant: "acme");

        var response = await client.GetResponseAsync("Where is my order?", Gpt4o());

        var record = response.GetGovernance()!;
        var usage = ledger.GetUsage(s_scope)[0];
        Assert.Equal(record.Cost.Total, usage.SpentCost);
        Assert.Equal(record.Cost.Total, record.BudgetSettled);
        Assert.True(record.BudgetReserved >= record.BudgetSettled);
        Assert.Equal(0m, usage.ReservedCost);
        Assert.Equal(0, ledger.OutstandingReservations);
    }

    [Fact]
    public async Task GetResponseAsync_BudgetExhausted_ThrowsWithPolicyLimitSpentAndReset()
    {
        var ledger = Ledger(0.001m);
        var provider = Provider();
        var client = Pipeline(provider, ledger, o => o.Ladder.Clear());
        using var _ = GovernanceScope.Begin(tenant: "acme");

        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hi", Gpt4o(maxOutput: 4000)));

        Assert.Equal("tenant", ex.Policy!.Name);
        Assert.Equal(0.001m, ex.Limit);
        Assert.Equal(0m, ex.Spent);
        Assert.NotNull(ex.WindowResetsAt);
        Assert.Equal("acme", ex.Scope.Tenant);
        Assert.Contains("'tenant'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, provider.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_RefusedWithFallback_ReturnsFallbackAndRecordsRefusal()
    {
        var ledger = Ledger(0m);
        var client = Pipeline(Provider(), ledger, o => o.FallbackResponse = new ChatResponse(new ChatMessage(ChatRole.Assistant, "We're busy, try later.")));
        using var _ = GovernanceScope.Begin(tenant: "acme");

        var response = await client.GetResponseAsync("hi", Gpt4o());

        Assert.Equal("We're busy, try later.", response.Text);
        Assert.Equal("budget-exhausted", response.GetGovernance()!.Refusal);
    }

    [Fact]
    public async Task GetResponseAsync_OutputCapUnaffordable_LowersCapToFit()
    {
        var seen = new List<ChatOptions?>();
        var ledger = Ledger(0.005m); // gpt-4o output is $10/M: about 500 output tokens fit
        var client = Pipeline(Provider(seen), ledger, o => o.Ladder.Clear());
        using var _ = GovernanceScope.Begin(tenant: "acme");

        var response = await client.GetResponseAsync("hi", Gpt4o(maxOutput: 4000));

        var cap = Assert.Single(seen)!.MaxOutputTokens!.Value;
        Assert.InRange(cap, 256, 500);
        Assert.Contains("output-capped-to-fit", response.GetGovernance()!.Degradations);
    }

    [Fact]
    public async Task GetResponseAsync_AffordableOutputBelowMinimum_Refuses()
    {
        var ledger = Ledger(0.002m); // about 200 output tokens fit, below the 256 minimum
        var client = Pipeline(Provider(), ledger, o => o.Ladder.Clear());
        using var _ = GovernanceScope.Begin(tenant: "acme");

        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hi", Gpt4o(maxOutput: 4000)));
    }

    [Theory]
    [InlineData(0.72, "gpt-4o-mini", 1000, null, "prefer-cheaper-model")]
    [InlineData(0.86, "gpt-4o-mini", 512, ReasoningEffort.None, "cap-output")]
    public async Task GetResponseAsync_Utilization_AppliesLadderSteps(double used, string model, int cap, ReasoningEffort? effort, string step)
    {
        var seen = new List<ChatOptions?>();
        var ledger = Ledger(1m);
        await Preload(ledger, (decimal)used);
        var client = Pipeline(Provider(seen), ledger);
        using var _ = GovernanceScope.Begin(tenant: "acme");

        var response = await client.GetResponseAsync("hi", Gpt4o());

        var sent = Assert.Single(seen)!;
        Assert.Equal(model, sent.ModelId);
        Assert.Equal(cap, sent.MaxOutputTokens);
        Assert.Equal(effort, sent.Reasoning?.Effort);
        Assert.Contains(step, response.GetGovernance()!.Degradations);
        Assert.Equal("gpt-4o-mini", response.GetGovernance()!.PricedModelId);
    }

    [Fact]
    public async Task GetResponseAsync_Above95Percent_IsCacheOnlyAndRefusesMisses()
    {
        var ledger = Ledger(1m);
        await Preload(ledger, 0.96m);
        var provider = Provider();
        var client = Pipeline(provider, ledger);
        using var _ = GovernanceScope.Begin(tenant: "acme");

        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hi", Gpt4o()));

        Assert.Equal("cache-only", ex.Reason);
        Assert.Equal(0, provider.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_CustomStep_IsApplied()
    {
        var ledger = Ledger(1m);
        await Preload(ledger, 0.5m);
        var seen = new List<ChatOptions?>();
        var client = Pipeline(Provider(seen), ledger, o =>
        {
            o.Ladder.Clear();
            o.Ladder.Add(new DropToolsStep());
        });
        using var _ = GovernanceScope.Begin(tenant: "acme");

        var options = Gpt4o();
        options.Tools = [AIFunctionFactory.Create(() => "x", "tool")];
        var response = await client.GetResponseAsync("hi", options);

        Assert.Null(Assert.Single(seen)!.Tools);
        Assert.NotNull(options.Tools);
        Assert.Equal(["drop-tools"], response.GetGovernance()!.Degradations);
    }

    [Fact]
    public async Task GetResponseAsync_ProviderThrows_ReleasesReservation()
    {
        var ledger = Ledger(1m);
        var provider = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("500") };
        var client = Pipeline(provider, ledger);
        using var _ = GovernanceScope.Begin(tenant: "acme");

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("hi", Gpt4o()));

        AssertNothingOutstanding(ledger, spent: 0m);
    }

    [Fact]
    public async Task GetResponseAsync_Timeout_ReleasesReservation()
    {
        var ledger = Ledger(1m);
        var provider = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => throw new TaskCanceledException("timed out", new TimeoutException()) };
        var client = Pipeline(provider, ledger);
        using var _ = GovernanceScope.Begin(tenant: "acme");

        await Assert.ThrowsAsync<TaskCanceledException>(() => client.GetResponseAsync("hi", Gpt4o()));

        AssertNothingOutstanding(ledger, spent: 0m);
    }

    [Fact]
    public async Task GetResponseAsync_Canceled_ReleasesReservation()
    {
        var ledger = Ledger(1m);
        using var cts = new CancellationTokenSource();
        var provider = new TestChatClient
        {
            GetResponseAsyncCallback = async (_, _, ct) =>
            {
                await cts.CancelAsync();
                ct.ThrowIfCancellationRequested();
                return new ChatResponse();
            },
        };
        var client = Pipeline(provider, ledger);
        using var _ = GovernanceScope.Begin(tenant: "acme");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync("hi", Gpt4o(), cts.Token));

        AssertNothingOutstanding(ledger, spent: 0m);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Completed_SettlesSameAsNonStreaming()
    {
        var streamingLedger = Ledger(10m);
        var plainLedger = Ledger(10m);
        using var _ = GovernanceScope.Begin(tenant: "acme");

        GovernanceRecord? record = null;
        await foreach (var update in Pipeline(Provider(), streamingLedger).GetStreamingResponseAsync("hi", Gpt4o()))
        {
            record ??= update.GetGovernance();
        }

        await Pipeline(Provider(), plainLedger).GetResponseAsync("hi", Gpt4o());

        Assert.NotNull(record);
        Assert.Equal(plainLedger.GetUsage(s_scope)[0].SpentCost, streamingLedger.GetUsage(s_scope)[0].SpentCost);
        Assert.Equal(record.Cost.Total, streamingLedger.GetUsage(s_scope)[0].SpentCost);
        AssertNothingOutstanding(streamingLedger, record.Cost.Total);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Abandoned_SettlesWhatWasStreamedOnce()
    {
        var ledger = Ledger(10m);
        using var _ = GovernanceScope.Begin(tenant: "acme");

        await foreach (var update in Pipeline(Provider(), ledger).GetStreamingResponseAsync("hi", Gpt4o()))
        {
            break;
        }

        var usage = ledger.GetUsage(s_scope)[0];
        Assert.True(usage.SpentCost > 0);
        AssertNothingOutstanding(ledger, usage.SpentCost);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ProviderFailsBeforeFirstChunk_Releases()
    {
        var ledger = Ledger(10m);
        var provider = new TestChatClient { GetStreamingResponseAsyncCallback = (_, _, _) => Failing() };
        using var _ = GovernanceScope.Begin(tenant: "acme");

        await Assert.ThrowsAsync<HttpRequestException>(async () =>
        {
            await foreach (var update in Pipeline(provider, ledger).GetStreamingResponseAsync("hi", Gpt4o()))
            {
            }
        });

        // Metering estimated a zero-output partial call: the prompt was sent, so it is settled, never left outstanding.
        Assert.Equal(0, ledger.OutstandingReservations);

        static async IAsyncEnumerable<ChatResponseUpdate> Failing()
        {
            await Task.Yield();
            throw new HttpRequestException("503");
#pragma warning disable CS0162 // unreachable: makes this an iterator
            yield break;
#pragma warning restore CS0162
        }
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Refused_ThrowsOnFirstMoveNext()
    {
        var ledger = Ledger(0m);
        using var _ = GovernanceScope.Begin(tenant: "acme");

        await Assert.ThrowsAsync<BudgetExceededException>(async () =>
        {
            await foreach (var update in Pipeline(Provider(), ledger).GetStreamingResponseAsync("hi", Gpt4o()))
            {
            }
        });
    }

    [Fact]
    public async Task GetResponseAsync_ManyParallelCallers_StrictBudgetNeverOverspends()
    {
        var ledger = new InMemoryBudgetLedger(
        [
            new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 0.2m },
            new BudgetPolicy("feature") { Level = ScopeLevel.Feature, CostLimit = 0.12m },
            new BudgetPolicy("session") { Level = ScopeLevel.Session, CostLimit = 0.03m },
        ]);
        var random = new Random(11);
        var lengths = Enumerable.Range(0, 64 * 8).Select(_ => random.Next(10, 1200)).ToArray();
        var index = -1;
        var provider = new TestChatClient
        {
            GetResponseAsyncCallback = async (messages, options, _) =>
            {
                await Task.Yield();
                return Response(messages, options, lengths[Interlocked.Increment(ref index) % lengths.Length]);
            },
        };
        var client = Pipeline(provider, ledger, o => o.Ladder.Clear());
        var refused = 0;

        await Parallel.ForAsync(0, 64, async (caller, ct) =>
        {
            for (var call = 0; call < 8; call++)
            {
                using var _ = GovernanceScope.Begin(tenant: "t" + (caller % 2), feature: "f" + (caller % 3), session: "s" + (caller % 16));
                try
                {
                    await client.GetResponseAsync("Summarise the ticket.", Gpt4o(maxOutput: 1200), ct);
                }
                catch (BudgetExceededException)
                {
                    Interlocked.Increment(ref refused);
                }
            }
        });

        Assert.True(refused > 0);
        Assert.Equal(0, ledger.OutstandingReservations);
        for (var c = 0; c < 64; c++)
        {
            foreach (var usage in ledger.GetUsage(new GovernanceScope { Tenant = "t" + (c % 2), Feature = "f" + (c % 3), Session = "s" + (c % 16) }))
            {
                Assert.True(usage.SpentCost <= usage.Policy.CostLimit, $"{usage.Policy.Name}/{usage.Key} spent {usage.SpentCost} of {usage.Policy.CostLimit}");
            }
        }
    }

    [Fact]
    public async Task UseTokenGovernor_WithBudgetsFromConfiguration_EnforcesThem()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Budgets:Policies:0:Name"] = "tenant-daily",
            ["TokenGovernor:Budgets:Policies:0:Level"] = "Tenant",
            ["TokenGovernor:Budgets:Policies:0:CostLimit"] = "0.0001",
            ["TokenGovernor:Budgets:Policies:0:Window"] = "Day",
        }).Build();
        var services = new ServiceCollection();
        services.AddTokenGovernor(config);
        services.AddChatClient(Provider()).UseTokenGovernor(g => g.UseBudgets(o => o.Ladder.Clear()));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate();
        var client = provider.GetRequiredService<IChatClient>();
        using var _ = GovernanceScope.Begin(tenant: "acme");

        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hi", Gpt4o()));
        Assert.Same(provider.GetRequiredService<IBudgetLedger>(), client.GetService<IBudgetLedger>());
    }

    [Fact]
    public async Task GetResponseAsync_LadderStep_IsCountedInMetrics()
    {
        var steps = new List<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == TokenGovernorDiagnostics.DegradationsInstrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "token_governor.step" && GovernanceScope.Current.Tenant == "metrics-tenant")
                {
                    lock (steps)
                    {
                        steps.Add((string)tag.Value!);
                    }
                }
            }
        });
        listener.Start();
        var ledger = Ledger(1m);
        var preload = await ledger.ReserveAsync(s_scope with { Tenant = "metrics-tenant" }, 0.9m, 0);
        await ledger.SettleAsync(preload.Reservation, 0.9m, 0);
        using var _ = GovernanceScope.Begin(tenant: "metrics-tenant");

        await Pipeline(Provider(), ledger).GetResponseAsync("hi", Gpt4o());

        Assert.Contains("cap-output", steps);
        Assert.Contains("reasoning-off", steps);
    }

    [Fact]
    public void AddTokenGovernor_Governor_BeginsScopesAndReadsBudgets()
    {
        var services = new ServiceCollection();
        services.AddTokenGovernor(configure: o => o.Budgets.Add(new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 5m }));
        using var provider = services.BuildServiceProvider();
        var governor = provider.GetRequiredService<Governor>();

        using (governor.BeginScope(tenant: "acme", feature: "support"))
        {
            Assert.Equal("acme", GovernanceScope.Current.Tenant);
            Assert.Equal(5m, Assert.Single(governor.GetBudgetUsage()).Policy.CostLimit);
        }

        Assert.Null(GovernanceScope.Current.Tenant);
    }

    [Fact]
    public void AddTokenGovernor_InvalidBudgetPolicy_FailsAtStartupNamingKey()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Budgets:Policies:0:Name"] = "broken",
            ["TokenGovernor:Budgets:Policies:0:Window"] = "Fortnight",
            ["TokenGovernor:Budgets:Policies:0:CostLimit"] = "1",
        }).Build();
        var services = new ServiceCollection();
        services.AddTokenGovernor(config);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => provider.GetRequiredService<Microsoft.Extensions.Options.IStartupValidator>().Validate());
        Assert.Contains("TokenGovernor:Budgets:Policies:0:Window", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseBudgets_NoLedgerAnywhere_ThrowsExplainingFix()
    {
        var builder = new ChatClientBuilder(Provider()).UseBudgets();

        var ex = Assert.Throws<InvalidOperationException>(() => builder.Build());
        Assert.Contains("IBudgetLedger", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_NullMessages_Throws()
    {
        var client = Pipeline(Provider(), Ledger(1m));
        await Assert.ThrowsAsync<ArgumentNullException>(() => client.GetResponseAsync((IEnumerable<ChatMessage>)null!));
    }

    [Fact]
    public void Constructor_NullLedger_Throws() =>
        Assert.Throws<ArgumentNullException>(() => new BudgetChatClient(Provider(), null!, new CostEstimator(PriceCatalog.BuiltIn, TiktokenTokenEstimator.Default)));

    [Fact]
    public async Task GetResponseAsync_WithoutMeteringBelow_PricesReportedUsage()
    {
        var ledger = Ledger(10m);
        var client = new ChatClientBuilder(Provider()).UseBudgets(ledger).Build();
        using var _ = GovernanceScope.Begin(tenant: "acme");

        var response = await client.GetResponseAsync("hi", Gpt4o());

        var expected = CostCalculator.Calculate(response.Usage!, PriceCatalog.BuiltIn.GetPrice("gpt-4o")).Total;
        Assert.Equal(expected, ledger.GetUsage(s_scope)[0].SpentCost);
    }

    private static async Task Preload(InMemoryBudgetLedger ledger, decimal amount)
    {
        var r = await ledger.ReserveAsync(s_scope, amount, 0);
        await ledger.SettleAsync(r.Reservation, amount, 0);
    }

    private static void AssertNothingOutstanding(InMemoryBudgetLedger ledger, decimal spent)
    {
        Assert.Equal(0, ledger.OutstandingReservations);
        var usage = ledger.GetUsage(s_scope)[0];
        Assert.Equal(0m, usage.ReservedCost);
        Assert.Equal(spent, usage.SpentCost);
    }

    private sealed class DropToolsStep() : BudgetDegradationStep("drop-tools", 0.4)
    {
        public override bool Apply(BudgetDegradationContext context)
        {
            context.Options.Tools = null;
            return true;
        }
    }
}
