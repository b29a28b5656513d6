using System.Diagnostics;
using System.Text.Json;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// Measurements that are not BenchmarkDotNet timings: recall@1 of the int8 and binary paths against exact float search, on three
/// sets; the re-rank depth binary search needs; where binary search starts to pay (Stopwatch medians); memory per entry.
/// </summary>
/// <remarks>
/// The sets: (1) the original one, uniform random rows with near-copy queries (easy: every other row is nearly orthogonal);
/// (2) clustered rows shaped like sentence embeddings (a direction shared by all rows, topics, groups of paraphrases), with
/// near-copy queries and with new-paraphrase queries whose nearest row is one of several close siblings; (3) real questions
/// from data/ (QQP, GPTCache, STS-B) embedded with the hashing embedder, queried with the other side of each duplicate pair.
/// </remarks>
internal static class Accuracy
{
    private const int Dims = VectorSearchBenchmarks.Dims;

    public static void Run(string? only = null)
    {
        if (only == "text")
        {
            var (r, c, q) = TextSet();
            Report($"real questions, hashing embedder ({c:N0} rows, {q.Length:N0} paraphrase queries)", r, c, q, [64, 256, 1024, 4096]);
            return;
        }

        const int rows = VectorSearchBenchmarks.Rows, queries = 1_000;
        Console.WriteLine($"int8 and binary recall@1 vs exact float search ({rows:N0} rows x {Dims} dims, {queries:N0} queries per set)");

        var (data, _) = VectorSearchBenchmarks.Data(rows, Dims, seed: 42);
        var random = new Random(99);
        var uniformQueries = new float[queries][];
        for (var q = 0; q < queries; q++)
        {
            var target = random.Next(rows);
            uniformQueries[q] = Enumerable.Range(0, Dims).Select(d => data[(target * Dims) + d] + (((float)random.NextDouble() - 0.5f) * 0.05f)).ToArray();
        }

        Report("uniform random rows, near-copy queries (the original set)", data, rows, uniformQueries, [256]);

        var clustered = Clustered.Create(rows, Dims, seed: 42);
        Report("clustered rows, near-copy queries", clustered.Rows, rows, clustered.NearCopyQueries(queries, seed: 7), [32, 64, 128, 256, 512]);
        Report("clustered rows, new-paraphrase queries", clustered.Rows, rows, clustered.ParaphraseQueries(queries, seed: 8), [32, 64, 128, 256, 512, 1024]);

        var (textRows, textCount, textQueries) = TextSet();
        Report($"real questions, hashing embedder ({textCount:N0} rows, {textQueries.Length:N0} paraphrase queries)", textRows, textCount, textQueries, [64, 256]);

        Crossover(clustered.Rows);
        Console.WriteLine($"memory per {Dims}-dim entry: float {VectorIndex<int>.BytesPerEntry(Dims, false)} B; + binary code {VectorIndex<int>.BytesPerEntry(Dims, false, true)} B; " +
            $"int8 (+ float rows kept for re-ranking) {VectorIndex<int>.BytesPerEntry(Dims, true)} B; int8 + binary {VectorIndex<int>.BytesPerEntry(Dims, true, true)} B");
    }

    private static void Report(string name, float[] data, int rows, float[][] queries, int[] depths)
    {
        var exact = VectorSearchBenchmarks.Build(data, rows, Dims, quantize: false, parallelThreshold: int.MaxValue);
        var best = queries.Select(q => exact.Search("p", q)[0]).ToArray();
        var truth = best.Select(m => m.Payload).ToArray();
        var hits = best.Select(m => m.Score >= HitThreshold).ToArray();
        var int8 = VectorSearchBenchmarks.Build(data, rows, Dims, quantize: true, parallelThreshold: int.MaxValue);
        var line = $"  {name}: int8 {Recall(int8, queries, truth, hits)}";
        foreach (var depth in depths)
        {
            var binary = VectorSearchBenchmarks.Build(data, rows, Dims, quantize: false, parallelThreshold: int.MaxValue, binary: true, rerank: depth);
            line += $"; binary@{depth} {Recall(binary, queries, truth, hits)}";
        }

        Console.WriteLine(line);
    }

    /// <summary>The default semantic-cache threshold of the hashing embedder: only a best match at or above it would be a hit.</summary>
    private const float HitThreshold = 0.80f;

    /// <summary>"all / would-be-hits": recall@1 over every query, and over the queries whose exact best match is a cache hit.</summary>
    private static string Recall(VectorIndex<int> index, float[][] queries, int[] truth, bool[] hits)
    {
        int agree = 0, agreeHits = 0;
        for (var q = 0; q < queries.Length; q++)
        {
            var same = index.Search("p", queries[q])[0].Payload == truth[q];
            agree += same ? 1 : 0;
            agreeHits += same && hits[q] ? 1 : 0;
        }

        var hitCount = hits.Count(h => h);
        return $"{(double)agree / queries.Length:F3} / {(hitCount == 0 ? "-" : ((double)agreeHits / hitCount).ToString("F3", System.Globalization.CultureInfo.InvariantCulture))} (of {hitCount})";
    }

    /// <summary>Median search time, exact float scan vs binary prefilter + re-rank (default depth), by partition size.</summary>
    private static void Crossover(float[] data)
    {
        Console.WriteLine("search time by partition size (clustered rows, one thread, Stopwatch median of 200 searches; shared machine, indicative):");
        var queries = new Clustered.Generator(Dims, seed: 5).Unit(16);
        foreach (var n in new[] { 1_024, 4_096, 16_384, 65_536 })
        {
            var exact = VectorSearchBenchmarks.Build(data, n, Dims, quantize: false, parallelThreshold: int.MaxValue);
            var binary = VectorSearchBenchmarks.Build(data, n, Dims, quantize: false, parallelThreshold: int.MaxValue, binary: true);
            var e = Median(exact, queries);
            var b = Median(binary, queries);
            Console.WriteLine($"  {n,7:N0} rows: float {e * 1000:F1} us, binary {b * 1000:F1} us ({e / b:F1}x)");
        }
    }

    private static double Median(VectorIndex<int> index, float[][] queries)
    {
        var result = new VectorMatch<int>[1];
        var times = new List<double>();
        for (var i = 0; i < 220; i++)
        {
            var start = Stopwatch.GetTimestamp();
            index.Search("p", queries[i % queries.Length], result);
            if (i >= 20)
            {
                times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
        }

        times.Sort();
        return times[times.Count / 2];
    }

    /// <summary>Every distinct question of the duplicate-pair sets is a row; the other side of each duplicate pair is a query.</summary>
    private static (float[] Rows, int Count, float[][] Queries) TextSet()
    {
        var dir = FindData();
        var texts = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pairs = new List<(string A, string B)>();
        foreach (var file in new[] { "qqp_pairs_dev.jsonl", "gptcache_positive_pairs.jsonl", "stsb_dev_pairs.jsonl" })
        {
            foreach (var line in File.ReadLines(Path.Combine(dir, file)))
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var a = root.GetProperty("a").GetString()!;
                var b = root.GetProperty("b").GetString()!;
                var positive = root.TryGetProperty("label", out var label) ? label.GetInt32() == 1 : root.GetProperty("score").GetDouble() >= 4;
                if (seen.Add(a))
                {
                    texts.Add(a);
                }

                if (positive && !string.Equals(a, b, StringComparison.Ordinal))
                {
                    pairs.Add((a, b));
                }
                else if (seen.Add(b))
                {
                    texts.Add(b);
                }
            }
        }

        var embedder = new HashingEmbeddingGenerator(Dims);
        var rows = new float[texts.Count * Dims];
        var count = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            embedder.Embed(texts[i], rows.AsSpan(count * Dims, Dims));
            count += rows.AsSpan(count * Dims, Dims).ContainsAnyExcept(0f) ? 1 : 0;
        }

        var queries = pairs.Select(p =>
        {
            var v = new float[Dims];
            embedder.Embed(p.B, v);
            return v;
        }).Where(v => v.AsSpan().ContainsAnyExcept(0f)).ToArray();
        return (rows, count, queries);
    }

    internal static string FindData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var candidate in new[] { Path.Combine(dir.FullName, "shared", "data"), Path.Combine(dir.FullName, "..", "shared", "data") })
            {
                if (File.Exists(Path.Combine(candidate, "qqp_pairs_dev.jsonl")))
                {
                    return candidate;
                }
            }
        }

        throw new DirectoryNotFoundException("The public dev data (../shared/data with qqp_pairs_dev.jsonl) was not found above the benchmark's directory.");
    }
}
