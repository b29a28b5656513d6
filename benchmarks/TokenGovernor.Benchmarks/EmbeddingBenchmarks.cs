using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Microsoft.Extensions.AI;
using TokenGovernor.Embeddings.MiniLM;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// The semantic cache's embedders: one short query, and a batch of 32 short queries, each category with
/// <see cref="HashingEmbeddingGenerator"/> as its baseline and the local all-MiniLM-L6-v2 (ONNX Runtime, default options:
/// a session pool and intra-op threads sized for the machine) against it. <see cref="MeasureModelMemory"/> reports the
/// memory of the loaded model once (<c>--model-memory</c>).
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class EmbeddingBenchmarks
{
    internal const string Query = "How do I reset my password?";

    internal static readonly string[] Batch =
    [
        "How do I reset my password?", "What are your opening hours?", "Can I change my delivery address after ordering?",
        "Do you ship to Canada?", "How long does a refund take?", "Where is my order?", "How do I cancel my subscription?",
        "Is there a student discount?", "What payment methods do you accept?", "Can I return an item without a receipt?",
        "How do I update my billing details?", "Why was my card declined?", "How do I contact support?",
        "Do you have a mobile app?", "Can I pick up my order in store?", "How do I track a parcel?",
        "What is your warranty policy?", "How do I delete my account?", "Can I change my username?",
        "Is my data shared with third parties?", "How do I enable two-factor authentication?", "What is the price of the pro plan?",
        "Can I upgrade my plan mid-month?", "How do I download my invoices?", "Do you offer gift cards?",
        "How do I apply a coupon code?", "What happens when my trial ends?", "Can I pause my membership?",
        "How do I report a bug?", "Where can I find the user manual?", "Do you price match?", "How do I change the language?",
    ];

    private HashingEmbeddingGenerator _hashing = null!;
    private MiniLMEmbeddingGenerator _minilm = null!;

    [GlobalSetup]
    public void Setup()
    {
        _hashing = new HashingEmbeddingGenerator();
        _minilm = new MiniLMEmbeddingGenerator();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _hashing.Dispose();
        _minilm.Dispose();
    }

    /// <summary>One short query, hashed.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Query")]
    public Task<Embedding<float>> HashingQuery() => _hashing.GenerateAsync(Query);

    /// <summary>One short query through MiniLM.</summary>
    [Benchmark]
    [BenchmarkCategory("Query")]
    public Task<Embedding<float>> MiniLMQuery() => _minilm.GenerateAsync(Query);

    /// <summary>32 short queries in one call, hashed.</summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Batch32")]
    public Task<GeneratedEmbeddings<Embedding<float>>> HashingBatch32() => _hashing.GenerateAsync(Batch);

    /// <summary>32 short queries in one call through MiniLM (one padded batch).</summary>
    [Benchmark]
    [BenchmarkCategory("Batch32")]
    public Task<GeneratedEmbeddings<Embedding<float>>> MiniLMBatch32() => _minilm.GenerateAsync(Batch);

    /// <summary>Measures once, in this process, what loading the model costs: the working set before and after the load (the
    /// warm-up included) and after a first batch of 32, with the managed heap for comparison.</summary>
    public static async Task MeasureModelMemory()
    {
        using var process = Process.GetCurrentProcess();
        long WorkingSet()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            process.Refresh();
            return process.WorkingSet64;
        }

        var before = WorkingSet();
        var managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        using var embedder = new MiniLMEmbeddingGenerator();
        var load = clock.Elapsed;
        var loaded = WorkingSet();
        var managedLoaded = GC.GetTotalMemory(forceFullCollection: true);
        await embedder.GenerateAsync(Batch).ConfigureAwait(false);
        var afterBatch = WorkingSet();
        var model = new FileInfo(Path.Combine(AppContext.BaseDirectory, "minilm", "model.onnx"));

        static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
        Console.WriteLine($"model file:                 {(model.Exists ? Mb(model.Length) : "(not found)")}");
        Console.WriteLine($"cores:                      {Environment.ProcessorCount} (default options: SessionCount 0 = one per four cores, IntraOpThreads 0 = cores / sessions)");
        Console.WriteLine($"load time (with warm-up):   {load.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms");
        Console.WriteLine($"working set before load:    {Mb(before)}");
        Console.WriteLine($"working set after load:     {Mb(loaded)}  (+{Mb(loaded - before)})");
        Console.WriteLine($"working set after batch 32: {Mb(afterBatch)}  (+{Mb(afterBatch - before)} over before load)");
        Console.WriteLine($"managed heap after load:    +{Mb(managedLoaded - managedBefore)}");
    }
}
