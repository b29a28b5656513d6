using System.Diagnostics;
using System.Diagnostics.Metrics;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Diagnostics;

/// <summary>Cost and governance tags on the gen_ai span that M.E.AI's <c>UseOpenTelemetry()</c> starts, with it in the pipeline.</summary>
public sealed class GenAiSpanTagsTests : IDisposable
{
    private const string SourceName = "TokenGovernor.Tests.GenAi";
    private readonly List<Activity> _spans = [];
    private readonly ActivityListener _listener;

    public GenAiSpanTagsTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (_spans) { _spans.Add(a); } },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private static TestChatClient Provider() => new()
    {
        GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "hi"))
        {
            ModelId = "gpt-4o-mini",
            Usage = new UsageDetails { InputTokenCount = 1_000_000, OutputTokenCount = 1_000_000 },
        }),
        GetStreamingResponseAsyncCallback = (_, _, _) => Stream(),
    };

    private static async IAsyncEnumerable<ChatResponseUpdate> Stream()
    {
        await Task.Yield();
        yield return new ChatResponseUpdate(ChatRole.Assistant, "hi") { ModelId = "gpt-4o-mini" };
        yield return new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 1_000_000, OutputTokenCount = 1_000_000 })] };
    }

    private static IChatClient Pipeline(IChatClient provider) => new ChatClientBuilder(provider)
        .UseOpenTelemetry(sourceName: SourceName)
        .UseCostMetering(PriceCatalog.BuiltIn)
        .Build();

    [Fact]
    public async Task GetResponseAsync_UnderUseOpenTelemetry_TagsTheGenAiSpanWithCostAndScope()
    {
        using var client = Pipeline(Provider());
        using (GovernanceScope.Begin(tenant: "acme", feature: "faq"))
        {
            await client.GetResponseAsync("hello", new ChatOptions { ModelId = "gpt-4o-mini" });
        }

        var span = Assert.Single(_spans);
        var expected = (double)CostCalculator.Calculate(new TokenUsage(1_000_000, 0, 0, 1_000_000, 0), PriceCatalog.BuiltIn.GetPrice("gpt-4o-mini")).Total;
        Assert.Equal(expected, (double)span.GetTagItem("gen_ai.usage.cost.amount")!, 10);
        Assert.Equal("USD", span.GetTagItem("gen_ai.usage.cost.currency"));
        Assert.Equal("provider_usage", span.GetTagItem("gen_ai.usage.cost.source"));
        Assert.Equal("acme", span.GetTagItem("token_governor.tenant"));
        Assert.Equal("faq", span.GetTagItem("token_governor.feature"));
        Assert.Equal("miss", span.GetTagItem("token_governor.cache.status"));
        Assert.Equal("chat", span.GetTagItem("gen_ai.operation.name")); // it is M.E.AI's span, not one of ours
    }

    [Fact]
    public async Task GetStreamingResponseAsync_UnderUseOpenTelemetry_TagsTheGenAiSpanWithCost()
    {
        using var client = Pipeline(Provider());
        await foreach (var _ in client.GetStreamingResponseAsync("hello", new ChatOptions { ModelId = "gpt-4o-mini" }))
        {
        }

        var span = Assert.Single(_spans);
        Assert.True((double)span.GetTagItem("gen_ai.usage.cost.amount")! > 0);
        Assert.Equal("USD", span.GetTagItem("gen_ai.usage.cost.currency"));
    }

    [Fact]
    public async Task GetResponseAsync_TwoProviderCallsUnderOneSpan_AddsTheirCosts()
    {
        using var metered = new ChatClientBuilder(Provider()).UseCostMetering(PriceCatalog.BuiltIn).Build();
        using var source = new ActivitySource(SourceName);
        using (var span = source.StartActivity("chat"))
        {
            await metered.GetResponseAsync("a", new ChatOptions { ModelId = "gpt-4o-mini" });
            await metered.GetResponseAsync("b", new ChatOptions { ModelId = "gpt-4o-mini" });
        }

        var one = (double)CostCalculator.Calculate(new TokenUsage(1_000_000, 0, 0, 1_000_000, 0), PriceCatalog.BuiltIn.GetPrice("gpt-4o-mini")).Total;
        Assert.Equal(2 * one, (double)Assert.Single(_spans).GetTagItem("gen_ai.usage.cost.amount")!, 10);
    }

    [Fact]
    public async Task CostMetering_ByDefault_DoesNotRecordTokenUsageThatUseOpenTelemetryAlreadyRecords()
    {
        var seen = new List<string>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (i, l) => { if (i.Meter.Name is TokenGovernorDiagnostics.MeterName or SourceName) { l.EnableMeasurementEvents(i); } },
        };
        meterListener.SetMeasurementEventCallback<long>((i, _, _, _) => { lock (seen) { seen.Add(i.Meter.Name + ":" + i.Name); } });
        meterListener.SetMeasurementEventCallback<int>((i, _, _, _) => { lock (seen) { seen.Add(i.Meter.Name + ":" + i.Name); } });
        meterListener.Start();
        using var client = Pipeline(Provider());

        await client.GetResponseAsync("hello", new ChatOptions { ModelId = "gpt-4o-mini" });

        Assert.DoesNotContain($"{TokenGovernorDiagnostics.MeterName}:gen_ai.client.token.usage", seen);
        Assert.Contains($"{SourceName}:gen_ai.client.token.usage", seen); // recorded once, by M.E.AI
    }

    [Fact]
    public async Task CostMetering_EmitTokenUsageMetricOn_RecordsTokenUsage()
    {
        var seen = new List<string>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (i, l) => { if (i.Meter.Name == TokenGovernorDiagnostics.MeterName) { l.EnableMeasurementEvents(i); } },
        };
        meterListener.SetMeasurementEventCallback<long>((i, _, _, _) => { lock (seen) { seen.Add(i.Name); } });
        meterListener.Start();
        using var client = new ChatClientBuilder(Provider()).UseCostMetering(PriceCatalog.BuiltIn, configure: o => o.EmitTokenUsageMetric = true).Build();

        await client.GetResponseAsync("hello", new ChatOptions { ModelId = "gpt-4o-mini" });

        Assert.Contains("gen_ai.client.token.usage", seen);
    }

    public void Dispose() => _listener.Dispose();
}
