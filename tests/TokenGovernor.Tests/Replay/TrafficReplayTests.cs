using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TokenGovernor.Cli;

namespace TokenGovernor.Tests.Replay;

public class TrafficReplayTests
{
    private const string GovernorJson = """
        {
          "TokenGovernor": {
            "Budgets": {
              "Policies": [
                { "Name": "tenant-daily", "Level": "Tenant", "CostLimit": 0.02, "Window": "Day" },
                { "Name": "feature-hourly", "Level": "Feature", "CostLimit": 0.004, "Window": "Hour" }
              ]
            },
            "Routing": {
              "Tiers": [
                { "Name": "Small", "Models": [ "gpt-4o-mini" ] },
                { "Name": "Medium", "Models": [ "gpt-4.1-mini" ] },
                { "Name": "Large", "Models": [ "gpt-4.1" ] },
                { "Name": "Reasoning", "Models": [ "o3" ], "IsReasoning": true }
              ]
            },
            "Pipeline": { "ResponseCache": true, "ModelRouting": true, "Budgets": true }
          }
        }
        """;

    [Fact]
    public async Task Replay_SameConfigurationAsTheLiveRun_ReproducesItsTotals()
    {
        var configuration = Configuration(GovernorJson);
        var (log, live) = await RecordLiveRunAsync(configuration, calls: 1_200);
        var entries = TrafficLog.Read(new StringReader(log)).ToList();

        var report = await TrafficReplayer.RunAsync(entries, configuration);

        Assert.Equal(1_200, entries.Count);
        Assert.True(live.Refusals > 0 && live.CacheHits > 0 && live.Degradations > 0, "the run must exercise budgets, refusals and the cache");
        Assert.Equal(live.Cost, report.Recorded.Cost);
        Assert.Equal(live.Cost, report.Replayed.Cost);
        Assert.Equal(live.Refusals, report.Replayed.Refusals);
        Assert.Equal(live.CacheHits, report.Replayed.CacheHits);
        Assert.Equal(live.ProviderCalls, report.Replayed.ProviderCalls);
        Assert.Equal(live.Degradations, report.Degradations.Values.Sum());
    }

    [Fact]
    public async Task Replay_WithoutGovernance_ShowsWhatBudgetsAndCacheSaved()
    {
        var (log, live) = await RecordLiveRunAsync(Configuration(GovernorJson), calls: 300);
        var entries = TrafficLog.Read(new StringReader(log)).ToList();

        var ungoverned = await TrafficReplayer.RunAsync(entries, Configuration("""{ "TokenGovernor": { "Pipeline": { "Budgets": false } } }"""));

        Assert.Equal(0, ungoverned.Replayed.Refusals);
        Assert.Equal(0, ungoverned.Replayed.CacheHits);
        Assert.True(ungoverned.Replayed.Cost > live.Cost, $"ungoverned {ungoverned.Replayed.Cost} vs governed {live.Cost}");
    }

    [Fact]
    public async Task Cli_Replay_JsonReportsRecordedAndReplayedTotals()
    {
        var (log, live) = await RecordLiveRunAsync(Configuration(GovernorJson), calls: 200);
        var dir = Directory.CreateTempSubdirectory("tg-replay-");
        try
        {
            var logPath = Path.Combine(dir.FullName, "traffic.jsonl");
            var configPath = Path.Combine(dir.FullName, "governor.json");
            await File.WriteAllTextAsync(logPath, log);
            await File.WriteAllTextAsync(configPath, GovernorJson);
            var stdout = new StringWriter();

            var code = await CliApp.RunAsync(["replay", "--log", logPath, "--config", configPath, "--json"], TextReader.Null, stdout, TextWriter.Null);

            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(stdout.ToString());
            Assert.Equal(200, doc.RootElement.GetProperty("calls").GetInt32());
            Assert.Equal(live.Cost, doc.RootElement.GetProperty("replayed").GetProperty("cost").GetDecimal());
            Assert.Equal(live.Refusals, doc.RootElement.GetProperty("replayed").GetProperty("refusals").GetInt32());
            Assert.True(doc.RootElement.GetProperty("by_feature").GetArrayLength() > 0);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Cli_Replay_MissingLog_ExitsTwoNamingTheOption()
    {
        var stderr = new StringWriter();

        var code = await CliApp.RunAsync(["replay", "--config", "governor.json"], TextReader.Null, TextWriter.Null, stderr);

        Assert.Equal(2, code);
        Assert.Contains("--log", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void TrafficLog_RoundTrip_KeepsEveryField()
    {
        var entry = new TrafficLogEntry
        {
            Time = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero),
            Scope = new GovernanceScope { Tenant = "acme", Feature = "support", Session = "s1", Run = "r1" },
            ModelId = "gpt-4o",
            Messages = [new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "Hi \"there\"")],
            MaxOutputTokens = 256,
            AnsweredModelId = "gpt-4o-mini",
            Usage = new TokenUsage(100, 20, 5, 40, 10),
            ResponseText = "Hello!",
            Cache = CacheStatus.Exact,
            Refusal = "cache-only",
        };

        var back = TrafficLog.Parse(TrafficLog.Serialize(entry));

        Assert.Equal(entry.Time, back.Time);
        Assert.Equal(entry.Scope, back.Scope);
        Assert.Equal(["Be brief.", "Hi \"there\""], back.Messages!.Select(m => m.Text));
        Assert.Equal(ChatRole.System, back.Messages![0].Role);
        Assert.Equal(entry with { Messages = null }, back with { Messages = null });
    }

    [Fact]
    public void TrafficLog_LineWithoutMessagesOrTokens_ThrowsNamingTheLine()
    {
        var ex = Assert.Throws<FormatException>(() => TrafficLog.Read(new StringReader("\n{\"time\":\"2026-11-23T10:00:00Z\"}\n")).ToList());

        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("inputTokens", ex.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Configuration(string json) =>
        new ConfigurationBuilder().AddJsonStream(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json))).Build();

    // A live, governed run recorded by UseTrafficRecording: sequential calls from three tenants and three features over
    // simulated days, questions drawn from a pool so that some repeat (cache hits), budgets that bind (degradations, refusals).
    private static async Task<(string Log, LiveTotals Totals)> RecordLiveRunAsync(IConfiguration configuration, int calls)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero));
        var writer = new StringWriter();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddTokenGovernor(configuration);
        services.AddChatClient(new SimulatedProvider())
            .UseTrafficRecording(writer)
            .UseTokenGovernor(p => p.UseResponseCache().UseModelRouting().UseBudgets().UseCostMetering());
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();
        var random = new Random(42);
        var totals = new LiveTotals();
        string[] tenants = ["acme", "globex", "initech"];
        string[] features = ["support", "search", "agent"];
        for (var i = 0; i < calls; i++)
        {
            time.Advance(TimeSpan.FromMinutes(3));
            var question = random.Next(150);
            var text = question % 5 == 0
                ? $"Analyse step by step the trade-offs of design option {question} for a distributed cache, and prove the bound."
                : $"What is the opening time of store number {question}?";
            using (GovernanceScope.Begin(tenant: tenants[random.Next(3)], feature: features[random.Next(3)]))
            {
                try
                {
                    var response = await client.GetResponseAsync(text, new ChatOptions { ModelId = "gpt-4o" });
                    var record = response.GetGovernance()!;
                    totals.Cost += record.Cost.Total;
                    totals.CacheHits += record.Cache != CacheStatus.None ? 1 : 0;
                    totals.ProviderCalls += record.ProviderCalls > 0 ? 1 : 0;
                    totals.Degradations += record.Degradations.Count;
                }
                catch (BudgetExceededException)
                {
                    totals.Refusals++;
                }
            }
        }

        return (writer.ToString(), totals);
    }

    private sealed class LiveTotals
    {
        public decimal Cost { get; set; }

        public int Refusals { get; set; }

        public int CacheHits { get; set; }

        public int ProviderCalls { get; set; }

        public int Degradations { get; set; }
    }

    // Deterministic provider: usage from the prompt's length and the question's hash, honouring MaxOutputTokens.
    private sealed class SimulatedProvider : IChatClient
    {
        private readonly TiktokenTokenEstimator _tokens = new();

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            var model = options?.ModelId ?? "gpt-4o";
            var input = _tokens.CountPromptTokens(list, options, model);
            var output = 60 + ((uint)StringComparer.Ordinal.GetHashCode(list[^1].Text) % 500);
            if (options?.MaxOutputTokens is { } cap)
            {
                output = (uint)Math.Min(output, cap);
            }

            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "Answer to " + list[^1].Text))
            {
                ModelId = model,
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output },
            });
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The replay test drives non-streaming calls.");

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
