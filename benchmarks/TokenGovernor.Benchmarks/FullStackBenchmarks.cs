using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// One call through a whole pipeline to an instant fake provider, per call, with allocations. Baseline: the bare provider.
/// Against it: M.E.AI's own pair, <c>UseDistributedCache()</c> (in-memory store) + <c>UseOpenTelemetry()</c>, on a miss; and
/// TokenGovernor's full stack (loop guard, exact + semantic cache with the hashing embedder, routing, budgets with three nested
/// policies, metering) on a miss, an exact hit and a semantic hit.
/// </summary>
/// <remarks>
/// Misses are real misses: each call asks a question never asked before (the same fresh text is built for every method, so
/// the string costs the same everywhere), looks up both caches, goes through routing, budgets and metering, and stores the
/// answer. The caches are full at steady state: 1 MiB caps (about 650 semantic entries) so stores evict. An activity listener
/// and a meter listener are attached for the whole run, as an OpenTelemetry SDK would be, so telemetry is really recorded.
/// </remarks>
[MemoryDiagnoser]
public class FullStackBenchmarks
{
    private readonly ChatOptions _options = new() { ModelId = "gpt-4o", Temperature = 0.2f, MaxOutputTokens = 400 };
    private readonly List<ChatMessage> _exact = [new(ChatRole.System, "You are a helpful support assistant."), new(ChatRole.User, "How do I reset my password on the website?")];
    private readonly List<ChatMessage> _similar = [new(ChatRole.System, "You are a helpful support assistant."), new(ChatRole.User, "How do I reset my password on your website?")];
    private IChatClient _bare = null!;
    private IChatClient _meai = null!;
    private IChatClient _governed = null!;
    private ActivityListener _activities = null!;
    private MeterListener _meters = null!;
    private readonly string[] _runs = Enumerable.Range(0, 65_536).Select(i => $"run-{i}").ToArray();
    private string[] _questions = null!;
    private long _next;
    private long _calls;

    [GlobalSetup]
    public void Setup()
    {
        _activities = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_activities);
        _meters = new MeterListener { InstrumentPublished = (instrument, listener) => listener.EnableMeasurementEvents(instrument) };
        _meters.SetMeasurementEventCallback<long>(static (_, _, _, _) => { });
        _meters.SetMeasurementEventCallback<double>(static (_, _, _, _) => { });
        _meters.SetMeasurementEventCallback<int>(static (_, _, _, _) => { });
        _meters.SetMeasurementEventCallback<decimal>(static (_, _, _, _) => { });
        _meters.Start();

        _questions = Questions(65_536, seed: 42);
        var provider = new EchoModelChatClient();
        _bare = provider;
        _meai = new ChatClientBuilder(provider)
            .UseDistributedCache(new MemoryDistributedCache(Options.Create(new MemoryDistributedCacheOptions { SizeLimit = 1024 * 1024 })))
            .UseOpenTelemetry()
            .Build();
        _governed = new ChatClientBuilder(provider)
            .UseTokenGovernor(g => g
                .UseLoopGuard(o => o.DuplicateCallThreshold = 1_000)
                .UseSemanticCache(o =>
                {
                    o.SemanticIndexMemoryCapBytes = 1024 * 1024;
                    o.ExactCacheSizeLimitBytes = 1024 * 1024;
                })
                .UseModelRouting(o => o.UseOpenAITiers())
                .UseBudgets(ledger: new InMemoryBudgetLedger(BudgetLedgerBenchmarks.ThreePolicies()))
                .UseCostMetering())
            .Build();

        for (var i = 0; i < 2_000; i++)
        {
            _ = GovernedMiss().GetAwaiter().GetResult();
            _ = MeaiCachingAndTelemetry().GetAwaiter().GetResult();
        }

        Check(GovernedMiss(), CacheStatus.None);
        Check(GovernedExactHit(), CacheStatus.None);
        Check(GovernedExactHit(), CacheStatus.Exact);
        Check(GovernedSemanticHit(), CacheStatus.Semantic);
        Check(GovernedSemanticHit(), CacheStatus.Semantic);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _activities.Dispose();
        _meters.Dispose();
    }

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> BareClient() => _bare.GetResponseAsync(Fresh(), _options);

    [Benchmark]
    public Task<ChatResponse> MeaiCachingAndTelemetry() => _meai.GetResponseAsync(Fresh(), _options);

    [Benchmark]
    public async Task<ChatResponse> GovernedMiss()
    {
        using var scope = GovernanceScope.Begin(tenant: "acme", feature: "support", session: "s-1", run: NextRun());
        return await _governed.GetResponseAsync(Fresh(), _options);
    }

    [Benchmark]
    public async Task<ChatResponse> GovernedExactHit()
    {
        using var scope = GovernanceScope.Begin(tenant: "acme", feature: "support", session: "s-1", run: NextRun());
        return await _governed.GetResponseAsync(_exact, _options);
    }

    [Benchmark]
    public async Task<ChatResponse> GovernedSemanticHit()
    {
        using var scope = GovernanceScope.Begin(tenant: "acme", feature: "support", session: "s-1", run: NextRun());
        return await _governed.GetResponseAsync(_similar, _options);
    }

    private static void Check(Task<ChatResponse> call, CacheStatus expected)
    {
        var status = call.GetAwaiter().GetResult().GetGovernance()?.Cache;
        if (status != expected)
        {
            throw new InvalidOperationException($"Expected cache status {expected}, got {status?.ToString() ?? "no record"}.");
        }
    }

    /// <summary>An agent run of 20 steps (under the default 25-step limit), then the next one; 65,536 ids in rotation, so a run
    /// id comes back only long after the guard forgot it (10,000 tracked runs). The duplicate threshold is raised because these
    /// runs repeat one request 20 times on purpose.</summary>
    private string NextRun() => _runs[(int)((_calls++ / 20) % _runs.Length)];

    /// <summary>A question not asked recently: the next of 65,536 prepared ones (the caches hold about 650), as a new request.</summary>
    private List<ChatMessage> Fresh() =>
        [new(ChatRole.System, "You are a helpful support assistant."), new(ChatRole.User, _questions[(int)(_next++ % _questions.Length)])];

    /// <summary>Questions of 8–14 English words drawn at random from the vocabulary of data/qqp_pairs_dev.jsonl: words a tokenizer
    /// knows, as in real traffic, but no two questions near-duplicates, so a miss finds nothing above the threshold, as a new
    /// question does (a near-duplicate that the guard must reject costs more; GovernedSemanticHit shows the guard's cost).</summary>
    private static string[] Questions(int count, int seed)
    {
        var vocabulary = File.ReadLines(Path.Combine(Accuracy.FindData(), "qqp_pairs_dev.jsonl"))
            .SelectMany(line => line.Split([' ', '"', ',', '?', '.', ':', '{', '}', '(', ')'], StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length >= 3 && w.All(char.IsAsciiLetterLower))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray();
        var random = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => "How do I " + string.Join(' ', Enumerable.Range(0, random.Next(8, 15)).Select(_ => vocabulary[random.Next(vocabulary.Length)])) + "?")
            .ToArray();
    }

    /// <summary>An instant provider that answers for whichever model it is asked (routing may choose another tier's model).</summary>
    private sealed class EchoModelChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "The store is open from 9 am to 6 pm, Monday to Saturday."))
            {
                ModelId = options?.ModelId ?? "gpt-4o",
                FinishReason = ChatFinishReason.Stop,
                Usage = new UsageDetails { InputTokenCount = 40, OutputTokenCount = 16, TotalTokenCount = 56 },
            });

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }
}
