using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Loops;

public class LoopGuardChatClientTests
{
    private static readonly UsageDetails s_usage = new() { InputTokenCount = 900, OutputTokenCount = 100 }; // gpt-4o: $0.00325

    /// <summary>A scripted model: each call returns what <paramref name="script"/> gives for its 1-based call number.</summary>
    private static TestChatClient Model(Func<int, ChatMessage> script, List<(IList<ChatMessage> Messages, ChatOptions? Options)>? seen = null)
    {
        var calls = 0;
        return new TestChatClient
        {
            GetResponseAsyncCallback = (messages, options, _) =>
            {
                var n = Interlocked.Increment(ref calls);
                lock (seen ?? [])
                {
                    seen?.Add((messages.ToList(), options));
                }

                var reply = script(n);
                return Task.FromResult(new ChatResponse(reply)
                {
                    ModelId = "gpt-4o",
                    Usage = s_usage,
                    FinishReason = reply.Contents.OfType<FunctionCallContent>().Any() ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
                });
            },
        };
    }

    private static ChatMessage Text(string text) => new(ChatRole.Assistant, text);

    private static IChatClient Guarded(IChatClient model, Action<LoopGuardOptions> configure, TimeProvider? time = null)
    {
        var options = new LoopGuardOptions();
        configure(options);
        return new ChatClientBuilder(model).Use(inner => new LoopGuardChatClient(inner, options, time)).UseCostMetering().Build();
    }

    private static ChatOptions Gpt4o(params AITool[] tools) => new() { ModelId = "gpt-4o", Tools = tools.Length == 0 ? null : tools };

    [Fact]
    public async Task GetResponseAsync_StepLimit_TripsExactlyAtBound()
    {
        var model = Model(n => Text($"step {n}"));
        var client = Guarded(model, o => { o.MaxSteps = 5; o.WrapUpAt = 1.0; });
        using var _ = GovernanceScope.Begin(run: "r1");

        for (var i = 1; i <= 5; i++)
        {
            await client.GetResponseAsync($"go {i}", Gpt4o());
        }

        var ex = await Assert.ThrowsAsync<AgentLimitExceededException>(() => client.GetResponseAsync("go 6", Gpt4o()));
        Assert.Equal("steps", ex.Limit);
        Assert.Equal(5, model.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_NearLimit_WrapsUpWithoutToolsBeforeHardStop()
    {
        var seen = new List<(IList<ChatMessage> Messages, ChatOptions? Options)>();
        var tool = AIFunctionFactory.Create(() => "x", "lookup");
        var client = Guarded(Model(n => Text("thinking"), seen), o => { o.MaxSteps = 5; o.WrapUpAt = 0.8; });
        using var _ = GovernanceScope.Begin(run: "r1");

        var records = new List<GovernanceRecord>();
        for (var i = 1; i <= 5; i++)
        {
            records.Add((await client.GetResponseAsync("continue", Gpt4o(tool))).GetGovernance()!);
        }

        Assert.All(seen.Take(3), s => Assert.NotNull(s.Options!.Tools));
        Assert.All(seen.Skip(3), s =>
        {
            Assert.Null(s.Options!.Tools);
            Assert.Contains("Conclude now", s.Messages[^1].Text, StringComparison.Ordinal);
        });
        Assert.Contains("wrap-up", records[3].Degradations);
        await Assert.ThrowsAsync<AgentLimitExceededException>(() => client.GetResponseAsync("continue", Gpt4o(tool)));
    }

    [Fact]
    public async Task GetResponseAsync_TokenLimit_TripsAfterCallThatReachesIt()
    {
        var client = Guarded(Model(n => Text("ok")), o => { o.MaxTokens = 2_500; o.WrapUpAt = 1.0; });
        using var _ = GovernanceScope.Begin(run: "r1");

        for (var i = 0; i < 3; i++)
        {
            await client.GetResponseAsync("go", Gpt4o()); // 1,000 tokens each: 3,000 after the third
        }

        Assert.Equal("tokens", (await Assert.ThrowsAsync<AgentLimitExceededException>(() => client.GetResponseAsync("go", Gpt4o()))).Limit);
    }

    [Fact]
    public async Task GetResponseAsync_CostLimit_UsesMeteredCost()
    {
        var client = Guarded(Model(n => Text("ok")), o => { o.MaxCost = 0.0065m; o.WrapUpAt = 1.0; });
        using var _ = GovernanceScope.Begin(run: "r1");

        await client.GetResponseAsync("go", Gpt4o());
        await client.GetResponseAsync("go", Gpt4o()); // 2 × $0.00325 = $0.0065

        Assert.Equal("cost", (await Assert.ThrowsAsync<AgentLimitExceededException>(() => client.GetResponseAsync("go", Gpt4o()))).Limit);
    }

    [Fact]
    public async Task GetResponseAsync_WallTime_TripsUnderFakeClock()
    {
        var time = new FakeTimeProvider();
        var client = Guarded(Model(n => Text("ok")), o => { o.MaxWallTime = TimeSpan.FromMinutes(1); o.WrapUpAt = 1.0; }, time);
        using var _ = GovernanceScope.Begin(run: "r1");

        await client.GetResponseAsync("go", Gpt4o());
        time.Advance(TimeSpan.FromSeconds(59));
        await client.GetResponseAsync("go", Gpt4o());
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("wall-time", (await Assert.ThrowsAsync<AgentLimitExceededException>(() => client.GetResponseAsync("go", Gpt4o()))).Limit);
    }

    [Fact]
    public async Task GetResponseAsync_SameCallWithReorderedArguments_IsDetectedNotedThenStopped()
    {
        var seen = new List<(IList<ChatMessage> Messages, ChatOptions? Options)>();
        var variants = new Func<IDictionary<string, object?>>[]
        {
            () => new Dictionary<string, object?> { ["query"] = "refund policy", ["page"] = 1 },
            () => new Dictionary<string, object?> { ["page"] = 1, ["query"] = "refund policy" },
            () => JsonSerializer.Deserialize<Dictionary<string, object?>>("{ \"page\" : 1,   \"query\":\"refund policy\" }")!,
        };
        var model = Model(n => new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"c{n}", "search", variants[n % 3]())]), seen);
        var client = Guarded(model, o => { o.DuplicateCallThreshold = 3; o.WrapUpAt = 1.0; });
        using var _ = GovernanceScope.Begin(run: "r1");

        for (var i = 0; i < 5; i++)
        {
            await client.GetResponseAsync("search again", Gpt4o());
        }

        Assert.Contains(seen[3].Messages, m => m.Text.Contains("[governor]", StringComparison.Ordinal)); // the note after the 3rd repeat
        var ex = await Assert.ThrowsAsync<AgentLimitExceededException>(() => client.GetResponseAsync("search again", Gpt4o()));
        Assert.Equal("duplicate-tool-call", ex.Limit);
    }

    [Fact]
    public async Task GetResponseAsync_InsideFunctionInvocation_StopsARunawayToolLoop()
    {
        var tool = AIFunctionFactory.Create((string path) => "FAILED: 1 test failed", "run_tests");
        var model = Model(n => new ChatMessage(ChatRole.Assistant, [new FunctionCallContent($"c{n}", "run_tests", new Dictionary<string, object?> { ["path"] = "tests/" })]));
        var client = new ChatClientBuilder(model)
            .UseFunctionInvocation(configure: f => f.MaximumIterationsPerRequest = 40)
            .UseLoopGuard(o => { o.DuplicateCallThreshold = 3; o.MaxSteps = 30; })
            .UseCostMetering()
            .Build();
        using var _ = GovernanceScope.Begin(run: "coding-1");

        await Assert.ThrowsAsync<AgentLimitExceededException>(() => client.GetResponseAsync("fix the build", Gpt4o(tool)));

        Assert.Equal(5, model.Calls); // noted at the 3rd repeat, stopped before the 6th call instead of running 40 iterations
    }

    [Fact]
    public async Task GetResponseAsync_RepeatedToolError_IsNoted()
    {
        var seen = new List<(IList<ChatMessage> Messages, ChatOptions? Options)>();
        var client = Guarded(Model(n => Text("retrying"), seen), o => { o.RepeatedToolErrorThreshold = 2; o.WrapUpAt = 1.0; });
        using var _ = GovernanceScope.Begin(run: "r1");
        var history = new List<ChatMessage> { new(ChatRole.User, "deploy") };

        for (var i = 0; i < 3; i++)
        {
            history.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent($"c{i}", null) { Exception = new TimeoutException("registry timed out") }]));
            await client.GetResponseAsync(history, Gpt4o());
        }

        Assert.Contains(seen[1].Messages, m => m.Text.Contains("same tool error", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetResponseAsync_FinalResponseConfigured_ReturnsItAtTheLimit()
    {
        var client = Guarded(Model(n => Text("ok")), o =>
        {
            o.MaxSteps = 1;
            o.WrapUpAt = 1.0;
            o.FinalResponse = new ChatResponse(new ChatMessage(ChatRole.Assistant, "I could not finish within my limits."));
        });
        using var _ = GovernanceScope.Begin(run: "r1");

        await client.GetResponseAsync("go", Gpt4o());
        var final = await client.GetResponseAsync("go", Gpt4o());

        Assert.Equal("I could not finish within my limits.", final.Text);
    }

    [Fact]
    public async Task GetResponseAsync_ParallelRuns_DoNotShareCounters()
    {
        var client = Guarded(Model(n => Text("ok")), o => { o.MaxSteps = 3; o.WrapUpAt = 1.0; });

        await Parallel.ForAsync(0, 32, async (run, ct) =>
        {
            using var _ = GovernanceScope.Begin(run: $"run-{run}");
            for (var i = 0; i < 3; i++)
            {
                await client.GetResponseAsync("go", Gpt4o(), ct);
            }

            await Assert.ThrowsAsync<AgentLimitExceededException>(() => client.GetResponseAsync("go", Gpt4o(), ct));
        });
    }

    [Fact]
    public async Task GetResponseAsync_RetryStorm_FailsFastUntilWindowPasses()
    {
        var time = new FakeTimeProvider();
        var failing = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("503") };
        var client = Guarded(failing, o => { o.RetryStormFailures = 3; o.RetryStormWindow = TimeSpan.FromMinutes(1); }, time);
        using var _ = GovernanceScope.Begin(session: "s1");

        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("go", Gpt4o()));
        }

        var ex = await Assert.ThrowsAsync<AgentLimitExceededException>(() => client.GetResponseAsync("go", Gpt4o()));
        Assert.Equal("retry-storm", ex.Limit);
        Assert.Equal(3, failing.Calls);
        time.Advance(TimeSpan.FromMinutes(1));
        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("go", Gpt4o()));
    }

    [Fact]
    public async Task CostCircuit_Transitions_OpenHalfOpenClosedUnderFakeClock()
    {
        var time = new FakeTimeProvider();
        var options = new LoopGuardOptions { CircuitCostThreshold = 0.005m, CircuitWindow = TimeSpan.FromMinutes(5), CircuitCoolDown = TimeSpan.FromMinutes(2) };
        var guard = new LoopGuardChatClient(new CostMeteringChatClient(Model(n => Text("ok")), PriceCatalog.BuiltIn), options, time);
        var transitions = new List<(CircuitState From, CircuitState To)>();
        guard.CircuitStateChanged += (_, e) => transitions.Add((e.From, e.To));
        using var _ = GovernanceScope.Begin(session: "s1");

        await guard.GetResponseAsync("go", Gpt4o());
        await guard.GetResponseAsync("go", Gpt4o()); // $0.0065 within the window: opens
        Assert.Equal(CircuitState.Open, guard.GetCircuitState("s1"));
        await Assert.ThrowsAsync<CostCircuitOpenException>(() => guard.GetResponseAsync("go", Gpt4o()));

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(CircuitState.HalfOpen, guard.GetCircuitState("s1"));
        await guard.GetResponseAsync("go", Gpt4o()); // the probe costs $0.00325: within the threshold, closes

        Assert.Equal(CircuitState.Closed, guard.GetCircuitState("s1"));
        Assert.Equal([(CircuitState.Closed, CircuitState.Open), (CircuitState.Open, CircuitState.HalfOpen), (CircuitState.HalfOpen, CircuitState.Closed)], transitions);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_CountsStepsLikeNonStreaming()
    {
        var model = new TestChatClient { GetStreamingResponseAsyncCallback = (_, _, ct) => TestChatClient.Stream("a b c", "gpt-4o", s_usage, ct) };
        var client = Guarded(model, o => { o.MaxSteps = 2; o.WrapUpAt = 1.0; });
        using var _ = GovernanceScope.Begin(run: "r1");

        for (var i = 0; i < 2; i++)
        {
            await client.GetStreamingResponseAsync("go", Gpt4o()).ToChatResponseAsync();
        }

        await Assert.ThrowsAsync<AgentLimitExceededException>(async () => await client.GetStreamingResponseAsync("go", Gpt4o()).ToChatResponseAsync());
    }

    [Fact]
    public void CanonicalArguments_OrderAndWhitespace_DoNotMatter()
    {
        var a = ToolCallSignature.Canonical(new Dictionary<string, object?> { ["b"] = 2, ["a"] = "x" });
        var b = ToolCallSignature.Canonical(JsonSerializer.Deserialize<Dictionary<string, object?>>("{\"a\" :  \"x\" , \"b\":2}"));

        Assert.Equal(a, b);
    }

    [Fact]
    public void UseLoopGuard_InvalidOptions_ThrowsNamingMember()
    {
        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new ChatClientBuilder(new TestChatClient()).UseLoopGuard(o => o.MaxSteps = 0));
        Assert.Contains("MaxSteps", ex.Message, StringComparison.Ordinal);
    }
}
