using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Metering;

public class CostMeteringChatClientTests
{
    private static readonly UsageDetails s_usage = new() { InputTokenCount = 10_000, CachedInputTokenCount = 4_000, OutputTokenCount = 1_000 };

    private static CostMeteringChatClient Create(IChatClient inner, RecordingSink sink, TimeProvider? time = null, Action<CostMeteringOptions>? configure = null)
    {
        var options = new CostMeteringOptions();
        configure?.Invoke(options);
        return new CostMeteringChatClient(inner, PriceCatalog.BuiltIn, options, [sink], timeProvider: time);
    }

    [Fact]
    public void Constructor_NullInner_Throws() =>
        Assert.Throws<ArgumentNullException>(() => new CostMeteringChatClient(null!, PriceCatalog.BuiltIn));

    [Fact]
    public void Constructor_NullCatalog_Throws() =>
        Assert.Throws<ArgumentNullException>(() => new CostMeteringChatClient(new TestChatClient(), null!));

    [Fact]
    public async Task GetResponseAsync_NullMessages_Throws()
    {
        using var client = Create(new TestChatClient(), new RecordingSink());
        await Assert.ThrowsAsync<ArgumentNullException>(() => client.GetResponseAsync((IEnumerable<ChatMessage>)null!));
    }

    [Fact]
    public void GetStreamingResponseAsync_NullMessages_ThrowsBeforeEnumeration()
    {
        using var client = Create(new TestChatClient(), new RecordingSink());
        Assert.Throws<ArgumentNullException>(() => client.GetStreamingResponseAsync((IEnumerable<ChatMessage>)null!));
    }

    [Fact]
    public async Task GetResponseAsync_ProviderUsage_IsPricedAndAttached()
    {
        var sink = new RecordingSink();
        using var client = Create(TestChatClient.Answering("Paris.", "gpt-4o-2024-08-06", s_usage), sink);

        var response = await client.GetResponseAsync("Capital of France?", new ChatOptions { ModelId = "gpt-4o" });

        var record = response.GetGovernance();
        Assert.NotNull(record);
        Assert.Equal(0.030m, record.Cost.Total);
        Assert.Equal("gpt-4o-2024-08-06", record.ModelId);
        Assert.Equal("gpt-4o", record.PricedModelId);
        Assert.False(record.UsageEstimated);
        Assert.Equal(1, record.ProviderCalls);
        Assert.Same(record, Assert.Single(sink.Records));
    }

    [Fact]
    public async Task GetResponseAsync_AnsweringModelDiffersFromRequested_PricesAnsweringModel()
    {
        var sink = new RecordingSink();
        using var client = Create(TestChatClient.Answering("ok", "gpt-4o-mini", s_usage), sink);

        var response = await client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" });

        // gpt-4o-mini: 6,000 × 0.15 + 4,000 × 0.075 + 1,000 × 0.60 per million.
        Assert.Equal(0.0009m + 0.0003m + 0.0006m, response.GetGovernance()!.Cost.Total);
        Assert.Equal("gpt-4o", response.GetGovernance()!.RequestedModelId);
    }

    [Fact]
    public async Task GetResponseAsync_AnsweringModelUnknown_FallsBackToRequestedPrice()
    {
        using var client = Create(TestChatClient.Answering("ok", "gpt-4o-custom-snapshot-x", s_usage), new RecordingSink());

        var response = await client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" });

        Assert.Equal("gpt-4o", response.GetGovernance()!.PricedModelId);
    }

    [Fact]
    public async Task GetResponseAsync_RequestedModelUnknown_ThrowsBeforeCallingProvider()
    {
        var inner = TestChatClient.Answering("ok", null, s_usage);
        using var client = Create(inner, new RecordingSink());

        var ex = await Assert.ThrowsAsync<UnknownModelException>(() => client.GetResponseAsync("hi", new ChatOptions { ModelId = "private-model" }));

        Assert.Equal("private-model", ex.ModelId);
        Assert.Equal(0, inner.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_NoModelAnywhere_ThrowsNamingDefaultModelId()
    {
        var inner = TestChatClient.Answering("ok", null, s_usage);
        using var client = Create(inner, new RecordingSink());

        var ex = await Assert.ThrowsAsync<UnknownModelException>(() => client.GetResponseAsync("hi"));

        Assert.Contains("DefaultModelId", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, inner.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_ClientMetadataDefaultModel_IsUsed()
    {
        var inner = TestChatClient.Answering("ok", null, s_usage);
        inner.Metadata = new ChatClientMetadata("test", defaultModelId: "gpt-4o");
        using var client = Create(inner, new RecordingSink());

        var response = await client.GetResponseAsync("hi");

        Assert.Equal(0.030m, response.GetGovernance()!.Cost.Total);
    }

    [Fact]
    public async Task GetResponseAsync_NoUsageReported_EstimatesAndFlags()
    {
        using var client = Create(TestChatClient.Answering("The capital of France is Paris.", "gpt-4o", usage: null), new RecordingSink());
        var messages = new List<ChatMessage> { new(ChatRole.User, "What is the capital of France?") };

        var response = await client.GetResponseAsync(messages, new ChatOptions { ModelId = "gpt-4o" });

        var record = response.GetGovernance()!;
        Assert.True(record.UsageEstimated);
        Assert.Equal(TiktokenTokenEstimator.Default.CountPromptTokens(messages, null, "gpt-4o"), record.Usage.TotalInputTokens);
        Assert.Equal(TiktokenTokenEstimator.Default.CountTokens("The capital of France is Paris.", "gpt-4o"), record.Usage.TotalOutputTokens);
        Assert.True(record.Cost.Total > 0);
    }

    [Fact]
    public async Task GetResponseAsync_NoUsageAndEstimationOff_RecordsZero()
    {
        using var client = Create(TestChatClient.Answering("x", "gpt-4o", null), new RecordingSink(), configure: o => o.EstimateMissingUsage = false);

        var response = await client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" });

        Assert.Equal(0m, response.GetGovernance()!.Cost.Total);
        Assert.False(response.GetGovernance()!.UsageEstimated);
    }

    [Fact]
    public async Task GetResponseAsync_ProviderThrows_PropagatesAndRecordsNothing()
    {
        var sink = new RecordingSink();
        var inner = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("503") };
        using var client = Create(inner, sink);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" }));

        Assert.Empty(sink.Records);
    }

    [Fact]
    public async Task GetResponseAsync_Canceled_PropagatesCancellation()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var inner = new TestChatClient { GetResponseAsyncCallback = (_, _, ct) => Task.FromCanceled<ChatResponse>(ct) };
        using var client = Create(inner, new RecordingSink());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" }, cts.Token));
    }

    [Fact]
    public async Task GetResponseAsync_FakeClock_RecordsTimestampAndDuration()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero));
        var inner = new TestChatClient
        {
            GetResponseAsyncCallback = (_, _, _) =>
            {
                time.Advance(TimeSpan.FromMilliseconds(850));
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = "gpt-4o", Usage = s_usage });
            },
        };
        using var client = Create(inner, new RecordingSink(), time);

        var record = (await client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" })).GetGovernance()!;

        Assert.Equal(new DateTimeOffset(2026, 11, 23, 12, 0, 0, TimeSpan.Zero), record.Timestamp);
        Assert.Equal(TimeSpan.FromMilliseconds(850), record.Duration);
    }

    [Fact]
    public async Task GetResponseAsync_ScopeFromOptions_IsRecorded()
    {
        var sink = new RecordingSink();
        using var client = Create(TestChatClient.Answering("ok", "gpt-4o", s_usage), sink);
        using var _ = GovernanceScope.Begin(tenant: "acme", feature: "support");

        await client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o", AdditionalProperties = new() { [GovernanceScope.FeatureKey] = "billing" } });

        var scope = Assert.Single(sink.Records).Scope;
        Assert.Equal("acme", scope.Tenant);
        Assert.Equal("billing", scope.Feature);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_UsageInFinalChunk_MatchesNonStreaming()
    {
        var sink = new RecordingSink();
        using var client = Create(TestChatClient.Answering("The answer is forty two", "gpt-4o", s_usage), sink);

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("q", new ChatOptions { ModelId = "gpt-4o" }))
        {
            updates.Add(update);
        }

        var streamed = updates[^1].GetGovernance();
        Assert.NotNull(streamed);
        Assert.Empty(updates[^1].Contents);
        Assert.True(streamed.Streaming);
        var nonStreamed = (await client.GetResponseAsync("q", new ChatOptions { ModelId = "gpt-4o" })).GetGovernance()!;
        Assert.Equal(nonStreamed.Cost, streamed.Cost);
        Assert.Equal(nonStreamed.Usage, streamed.Usage);
        Assert.Equal("The answer is forty two ", updates.ToChatResponse().Text);
        Assert.NotNull(updates.ToChatResponse().GetGovernance());
    }

    [Fact]
    public async Task GetStreamingResponseAsync_NoUsage_EstimatesFromStreamedText()
    {
        using var client = Create(TestChatClient.Answering("one two three four", "gpt-4o", null), new RecordingSink());

        GovernanceRecord? record = null;
        await foreach (var update in client.GetStreamingResponseAsync("q", new ChatOptions { ModelId = "gpt-4o" }))
        {
            record ??= update.GetGovernance();
        }

        Assert.NotNull(record);
        Assert.True(record.UsageEstimated);
        Assert.Equal(TiktokenTokenEstimator.Default.CountTokens("one two three four ", "gpt-4o"), record.Usage.TotalOutputTokens);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_AbandonedEarly_MetersPartialStreamOnce()
    {
        var sink = new RecordingSink();
        using var client = Create(TestChatClient.Answering("a b c d e f g h", "gpt-4o", s_usage), sink);

        var seen = 0;
        await foreach (var update in client.GetStreamingResponseAsync("q", new ChatOptions { ModelId = "gpt-4o" }))
        {
            if (++seen == 3)
            {
                break;
            }
        }

        var record = Assert.Single(sink.Records);
        Assert.True(record.UsageEstimated);
        Assert.Equal(TiktokenTokenEstimator.Default.CountTokens("a b c ", "gpt-4o"), record.Usage.TotalOutputTokens);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_CanceledMidStream_MetersWhatWasReceived()
    {
        var sink = new RecordingSink();
        using var cts = new CancellationTokenSource();
        using var client = Create(TestChatClient.Answering("a b c d e f g h", "gpt-4o", s_usage), sink);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            var seen = 0;
            await foreach (var update in client.GetStreamingResponseAsync("q", new ChatOptions { ModelId = "gpt-4o" }, cts.Token))
            {
                if (++seen == 2)
                {
                    await cts.CancelAsync();
                }
            }
        });

        Assert.Single(sink.Records);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_ProviderFailsMidStream_MetersPartialAndPropagates()
    {
        var sink = new RecordingSink();
        var inner = new TestChatClient { GetStreamingResponseAsyncCallback = (_, _, _) => Failing() };
        using var client = Create(inner, sink);

        await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var _ in client.GetStreamingResponseAsync("q", new ChatOptions { ModelId = "gpt-4o" }))
            {
            }
        });

        Assert.Equal(TiktokenTokenEstimator.Default.CountTokens("partial answer", "gpt-4o"), Assert.Single(sink.Records).Usage.TotalOutputTokens);

        static async IAsyncEnumerable<ChatResponseUpdate> Failing()
        {
            await Task.Yield();
            yield return new ChatResponseUpdate(ChatRole.Assistant, "partial answer");
            throw new IOException("connection reset");
        }
    }

    [Fact]
    public async Task GetResponseAsync_SinkThrows_CallStillSucceeds()
    {
        var inner = TestChatClient.Answering("ok", "gpt-4o", s_usage);
        using var client = new CostMeteringChatClient(inner, PriceCatalog.BuiltIn, sinks: [new ThrowingSink()]);

        var response = await client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" });

        Assert.Equal(0.030m, response.GetGovernance()!.Cost.Total);
    }

    [Fact]
    public async Task GetResponseAsync_ManyParallelCallers_AggregatorSumsExactly()
    {
        var aggregator = new InMemoryCostAggregator();
        var inner = TestChatClient.Answering("ok", "gpt-4o", s_usage);
        using var client = new CostMeteringChatClient(inner, PriceCatalog.BuiltIn, sinks: [aggregator]);

        await Parallel.ForAsync(0, 640, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            using var _ = GovernanceScope.Begin(tenant: $"t{i % 4}", feature: "chat");
            await client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" }, ct);
        });

        Assert.Equal(640 * 0.030m, aggregator.TotalCost);
        var perTenant = aggregator.GetSnapshot();
        Assert.Equal(4, perTenant.Count);
        Assert.All(perTenant, a => Assert.Equal(160, a.Calls));
        Assert.All(perTenant, a => Assert.Equal(160 * 10_000L, a.Usage.TotalInputTokens));
    }

    [Fact]
    public async Task GetResponseAsync_Metrics_EmitsTokenHistogramAndCostCounter()
    {
        var tokens = new List<(long Value, string? Type)>();
        double cost = 0;
        using var listener = new MeterListener();
        using var meter = new TestMeterFactory();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "gen_ai.token.type")
                {
                    tokens.Add((value, tag.Value as string));
                }
            }
        });
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => cost += value);
        listener.Start();

        // Token usage is opt-in (UseOpenTelemetry records it); the cost counter is always on.
        using var client = new CostMeteringChatClient(TestChatClient.Answering("ok", "gpt-4o", s_usage), PriceCatalog.BuiltIn,
            new CostMeteringOptions { EmitTokenUsageMetric = true }, meterFactory: meter);
        await client.GetResponseAsync("hi", new ChatOptions { ModelId = "gpt-4o" });

        Assert.Contains((10_000L, "input"), tokens);
        Assert.Contains((1_000L, "output"), tokens);
        Assert.Equal(0.03, cost, 10);
    }

    [Fact]
    public void GetService_PriceCatalog_ReturnsCatalogAndPassesOtherServicesThrough()
    {
        var inner = new TestChatClient { Metadata = new ChatClientMetadata("test", defaultModelId: "gpt-4o") };
        using var client = Create(inner, new RecordingSink());

        Assert.Same(PriceCatalog.BuiltIn, client.GetService<PriceCatalog>());
        Assert.Same(client, client.GetService<CostMeteringChatClient>());
        Assert.Same(inner, client.GetService<TestChatClient>());
        Assert.Equal("gpt-4o", client.GetService<ChatClientMetadata>()!.DefaultModelId);
    }

    [Fact]
    public async Task UseCostMetering_InDependencyInjection_UsesRegisteredServices()
    {
        var services = new ServiceCollection();
        services.AddTokenGovernor(configure: o => o.Aliases["prod-chat"] = "gpt-4o");
        services.AddChatClient(TestChatClient.Answering("ok", null, s_usage)).UseTokenGovernor();
        using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();
        var response = await client.GetResponseAsync("hi", new ChatOptions { ModelId = "prod-chat" });

        Assert.Equal(0.030m, response.GetGovernance()!.Cost.Total);
        Assert.Equal(0.030m, provider.GetRequiredService<InMemoryCostAggregator>().TotalCost);
        Assert.NotNull(client.GetService<CostMeteringChatClient>());
    }

    [Fact]
    public void UseCostMetering_NullBuilder_Throws() =>
        Assert.Throws<ArgumentNullException>(() => CostMeteringChatClientBuilderExtensions.UseCostMetering(null!));

    [Fact]
    public void UseCostMetering_InvalidOptions_ThrowsAtConfigurationNamingMember()
    {
        var builder = new ChatClientBuilder(new TestChatClient());
        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => builder.UseCostMetering(configure: o => o.UsageConvention = null!));
        Assert.Contains("UsageConvention", ex.Message, StringComparison.Ordinal);
    }

    private sealed class ThrowingSink : ICostSink
    {
        public void Record(GovernanceRecord record) => throw new InvalidOperationException("sink down");
    }

    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
