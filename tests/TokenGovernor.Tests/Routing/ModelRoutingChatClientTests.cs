using Microsoft.Extensions.Time.Testing;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Routing;

public class ModelRoutingChatClientTests
{
    private static TestChatClient Provider(List<ChatOptions?> seen, Func<ChatOptions?, ChatResponse>? answer = null) => new()
    {
        GetResponseAsyncCallback = (_, o, _) =>
        {
            lock (seen)
            {
                seen.Add(o);
            }

            return Task.FromResult(answer?.Invoke(o) ?? new ChatResponse(new ChatMessage(ChatRole.Assistant, "answer"))
            {
                ModelId = o?.ModelId,
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 1_000, OutputTokenCount = 200 },
            });
        },
        GetStreamingResponseAsyncCallback = (_, o, ct) =>
        {
            lock (seen)
            {
                seen.Add(o);
            }

            return TestChatClient.Stream("streamed answer", o?.ModelId, new UsageDetails { InputTokenCount = 1_000, OutputTokenCount = 200 }, ct);
        },
    };

    private static IChatClient Router(IChatClient provider, Action<RoutingOptions>? configure = null, IBudgetLedger? ledger = null, TimeProvider? time = null)
    {
        var options = new RoutingOptions().UseOpenAITiers();
        configure?.Invoke(options);
        var metered = new CostMeteringChatClient(provider, PriceCatalog.BuiltIn);
        return new ModelRoutingChatClient(metered, options, ledger: ledger, timeProvider: time);
    }

    [Theory]
    [InlineData("What are your opening hours?", "gpt-4o-mini")]
    [InlineData("Prove step by step that the square root of 2 is irrational, and derive the general case for primes.", "o3")]
    public async Task GetResponseAsync_ByComplexity_PicksTier(string prompt, string model)
    {
        var seen = new List<ChatOptions?>();
        var response = await Router(Provider(seen)).GetResponseAsync(prompt, new ChatOptions { ModelId = "gpt-4.1" });

        Assert.Equal(model, seen.Single()!.ModelId);
        Assert.Equal(model, response.GetGovernance()!.Routing!.ModelId);
        Assert.Equal("gpt-4.1", response.GetGovernance()!.Routing!.RequestedModelId);
    }

    [Fact]
    public async Task GetResponseAsync_OrdinaryRequest_HasReasoningRemoved()
    {
        var seen = new List<ChatOptions?>();
        await Router(Provider(seen)).GetResponseAsync("Translate 'thank you' into Spanish.", new ChatOptions { Reasoning = new ReasoningOptions { Effort = ReasoningEffort.High } });

        Assert.Null(seen.Single()!.Reasoning);
    }

    [Fact]
    public async Task GetResponseAsync_PinnedTier_IsUsed()
    {
        var seen = new List<ChatOptions?>();
        var response = await Router(Provider(seen)).GetResponseAsync("hi", new ChatOptions { AdditionalProperties = new() { [RoutingOptions.PinTierKey] = "Large" } });

        Assert.Equal("gpt-4.1", seen.Single()!.ModelId);
        Assert.Contains("pinned:Large", response.GetGovernance()!.Routing!.Reasons);
    }

    [Fact]
    public async Task GetResponseAsync_PinnedModel_SkipsRouting()
    {
        var seen = new List<ChatOptions?>();
        await Router(Provider(seen)).GetResponseAsync("Prove Fermat's last theorem step by step", new ChatOptions { AdditionalProperties = new() { [RoutingOptions.PinModelKey] = "gpt-4o" } });

        Assert.Equal("gpt-4o", seen.Single()!.ModelId);
    }

    [Fact]
    public async Task GetResponseAsync_BudgetPressure_PrefersOneTierCheaper()
    {
        var ledger = new InMemoryBudgetLedger([new BudgetPolicy("t") { Level = ScopeLevel.Tenant, CostLimit = 1m }]);
        var r = await ledger.ReserveAsync(new GovernanceScope { Tenant = "acme" }, 0.8m, 0);
        await ledger.SettleAsync(r.Reservation, 0.8m, 0);
        var seen = new List<ChatOptions?>();
        using var _ = GovernanceScope.Begin(tenant: "acme");
        var prompt = "Compare the trade-offs of these two database designs in detail and plan the migration: " + new string('x', 1500);

        var response = await Router(Provider(seen), ledger: ledger).GetResponseAsync(prompt);

        Assert.Contains("budget-pressure", response.GetGovernance()!.Routing!.Reasons);
        var unpressured = new List<ChatOptions?>();
        await Router(Provider(unpressured)).GetResponseAsync(prompt);
        Assert.NotEqual(unpressured.Single()!.ModelId, seen.Single()!.ModelId);
    }

    [Fact]
    public async Task GetResponseAsync_PromptTooLargeForTier_MovesUpForContextFit()
    {
        var seen = new List<ChatOptions?>();
        var router = Router(Provider(seen), o =>
        {
            o.Tiers.Clear();
            o.Tiers.Add(ModelTier.Of("Small", "gpt-3.5-turbo")); // 16k context
            o.Tiers.Add(ModelTier.Of("Large", "gpt-4.1"));
        });

        var response = await router.GetResponseAsync(string.Join(' ', Enumerable.Repeat("token", 20_000)));

        Assert.Equal("gpt-4.1", seen.Single()!.ModelId);
        Assert.Contains("context-fit", response.GetGovernance()!.Routing!.Reasons);
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("truncated")]
    [InlineData("quality")]
    public async Task GetResponseAsync_DeficientAnswer_EscalatesOnceAndMetersBothAttempts(string kind)
    {
        var seen = new List<ChatOptions?>();
        var sink = new RecordingSink();
        var provider = Provider(seen, o => new ChatResponse(new ChatMessage(ChatRole.Assistant, o!.ModelId == "gpt-4o-mini" && kind == "empty" ? "" : "answer from " + o.ModelId))
        {
            ModelId = o.ModelId,
            FinishReason = o.ModelId == "gpt-4o-mini" && kind == "truncated" ? ChatFinishReason.Length : ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 100, OutputTokenCount = 10 },
        });
        var options = new RoutingOptions().UseOpenAITiers();
        if (kind == "quality")
        {
            options.QualityCheck = r => !r.Text.Contains("gpt-4o-mini", StringComparison.Ordinal);
        }

        var router = new ModelRoutingChatClient(new CostMeteringChatClient(provider, PriceCatalog.BuiltIn, sinks: [sink]), options);
        var response = await router.GetResponseAsync("hi");

        Assert.Equal(["gpt-4o-mini", "gpt-4.1-mini"], seen.Select(o => o!.ModelId));
        Assert.Equal(1, response.GetGovernance()!.Routing!.Escalations);
        Assert.Same(response.GetGovernance(), Assert.Single(sink.Records)); // sinks get the call's one record, covering both attempts
        Assert.Equal(2, response.GetGovernance()!.ProviderCalls);
    }

    [Fact]
    public async Task GetResponseAsync_EscalationBound_IsRespected()
    {
        var seen = new List<ChatOptions?>();
        var provider = Provider(seen, o => new ChatResponse(new ChatMessage(ChatRole.Assistant, "")) { ModelId = o!.ModelId, Usage = new UsageDetails { InputTokenCount = 1, OutputTokenCount = 0 } });

        await Router(provider, o => o.MaxEscalations = 2).GetResponseAsync("hi");

        Assert.Equal(3, seen.Count);
    }

    [Fact]
    public async Task GetResponseAsync_429WithRetryAfter_WaitsThenFailsOverWithinTier()
    {
        var time = new FakeTimeProvider();
        var calls = new List<string>();
        var primary = new TestChatClient
        {
            GetResponseAsyncCallback = (_, o, _) =>
            {
                calls.Add("primary:" + o!.ModelId);
                var ex = new HttpRequestException("rate limited", null, System.Net.HttpStatusCode.TooManyRequests);
                ex.Data["Retry-After"] = TimeSpan.FromSeconds(2);
                throw ex;
            },
        };
        var secondary = new TestChatClient
        {
            GetResponseAsyncCallback = (_, o, _) =>
            {
                calls.Add("secondary:" + o!.ModelId);
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = o.ModelId, Usage = new UsageDetails { InputTokenCount = 1, OutputTokenCount = 1 } });
            },
        };
        var router = new ModelRoutingChatClient(new TestChatClient(), new RoutingOptions { MaxEscalations = 0 }.WithTiers(
            new ModelTier("Small", [new ModelDeployment("gpt-4o-mini", primary), new ModelDeployment("gpt-4o-mini", secondary)])), timeProvider: time);

        var call = router.GetResponseAsync("hi");
        Assert.False(call.IsCompleted); // waiting for Retry-After
        time.Advance(TimeSpan.FromSeconds(2));
        var response = await call;

        Assert.Equal(["primary:gpt-4o-mini", "secondary:gpt-4o-mini"], calls);
        Assert.Contains("failover:gpt-4o-mini", response.GetGovernance()!.Routing!.Reasons);
    }

    [Fact]
    public async Task GetResponseAsync_5xxOnLastDeployment_EscalatesThenSucceeds()
    {
        var seen = new List<ChatOptions?>();
        var provider = new TestChatClient
        {
            GetResponseAsyncCallback = (_, o, _) =>
            {
                seen.Add(o);
                return o!.ModelId == "gpt-4o-mini"
                    ? throw new HttpRequestException("bad gateway", null, System.Net.HttpStatusCode.BadGateway)
                    : Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = o.ModelId });
            },
        };

        var response = await new ModelRoutingChatClient(provider, new RoutingOptions().UseOpenAITiers()).GetResponseAsync("hi");

        Assert.Equal("gpt-4.1-mini", response.ModelId);
        Assert.Contains("escalated:error", response.GetGovernance()!.Routing!.Reasons);
    }

    [Fact]
    public async Task GetResponseAsync_NonTransientError_Propagates()
    {
        var provider = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => throw new ArgumentException("bad request") };
        await Assert.ThrowsAsync<ArgumentException>(() => new ModelRoutingChatClient(provider, new RoutingOptions { MaxEscalations = 0 }.UseOpenAITiers()).GetResponseAsync("hi"));
    }

    [Fact]
    public async Task GetStreamingResponseAsync_RoutesIdenticallyToNonStreaming()
    {
        foreach (var prompt in new[] { "hi there", "Prove step by step that there are infinitely many primes and derive a bound." })
        {
            var plain = new List<ChatOptions?>();
            var streamed = new List<ChatOptions?>();
            await Router(Provider(plain)).GetResponseAsync(prompt);
            var updates = await Router(Provider(streamed)).GetStreamingResponseAsync(prompt).ToChatResponseAsync();

            Assert.Equal(plain.Single()!.ModelId, streamed.Single()!.ModelId);
            Assert.Equal(plain.Single()!.ModelId, updates.GetGovernance()!.Routing!.ModelId);
        }
    }

    [Fact]
    public async Task GetResponseAsync_TopTierBaseline_IsRecordedForSavings()
    {
        var tracker = new RoutingSavingsTracker();
        var provider = Provider([]);
        var router = new ModelRoutingChatClient(new CostMeteringChatClient(provider, PriceCatalog.BuiltIn), new RoutingOptions().UseOpenAITiers(), savings: tracker);
        using var _ = GovernanceScope.Begin(feature: "faq");

        var response = await router.GetResponseAsync("What are your opening hours?");

        var routing = response.GetGovernance()!.Routing!;
        Assert.True(routing.TopTierCost > response.GetGovernance()!.Cost.Total);
        var row = Assert.Single(tracker.GetReport());
        Assert.Equal("faq", row.Feature);
        Assert.Equal(1, row.Mix["Small"]);
    }

    [Fact]
    public void Constructor_UnknownPinnedTier_ThrowsNamingTiers()
    {
        var router = new ModelRoutingChatClient(new TestChatClient(), new RoutingOptions().UseOpenAITiers());
        var ex = Assert.ThrowsAny<ArgumentException>(() => router.Decide([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { AdditionalProperties = new() { [RoutingOptions.PinTierKey] = "Huge" } }));
        Assert.Contains("Small", ex.Message, StringComparison.Ordinal);
    }
}

internal static class RoutingOptionsTestExtensions
{
    public static RoutingOptions WithTiers(this RoutingOptions options, params ModelTier[] tiers)
    {
        options.Tiers.Clear();
        foreach (var tier in tiers)
        {
            options.Tiers.Add(tier);
        }

        return options;
    }
}
