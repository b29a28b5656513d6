using BenchmarkDotNet.Attributes;
using TokenGovernor.Sqlite;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// Spend-store writes of 512 governance records: one batch committed to SQLite (WAL, synchronous=NORMAL), the same records one
/// transaction each, and 512 records through <see cref="SpendStoreSink"/> (enqueue + batched background write + flush).
/// Baseline: recording them in the in-memory aggregator. Records/s = 512 / mean.
/// </summary>
[MemoryDiagnoser]
public class SpendStoreBenchmarks
{
    private const int Records = 512;
    private readonly GovernanceRecord[] _records = new GovernanceRecord[Records];
    private string _path = null!;
    private SqliteSpendStore _store = null!;
    private SpendStoreSink _sink = null!;

    [GlobalSetup]
    public void Setup()
    {
        var start = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < Records; i++)
        {
            _records[i] = new GovernanceRecord
            {
                Timestamp = start.AddSeconds(i),
                Duration = TimeSpan.FromMilliseconds(800),
                Scope = new GovernanceScope { Tenant = i % 3 == 0 ? "globex" : "acme", Feature = i % 2 == 0 ? "faq" : "support", Session = "s-" + (i % 40) },
                RequestedModelId = "gpt-4o-mini",
                ModelId = "gpt-4o-mini-2024-07-18",
                PricedModelId = "gpt-4o-mini",
                Usage = new TokenUsage(900, 300, 0, 180, 0),
                Cost = new CostBreakdown(0.000135m, 0.0000225m, 0, 0.000108m, 0),
                ProviderCalls = 1,
                BudgetReserved = 0.0012m,
                BudgetSettled = 0.0002655m,
                BudgetUtilization = 0.31,
            };
        }

        _path = Path.Combine(Path.GetTempPath(), $"tokengov-spend-bench-{Guid.NewGuid():N}.db");
        _store = new SqliteSpendStore(_path);
        _sink = new SpendStoreSink(_store);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sink.Dispose();
        _store.Dispose();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_path)!, Path.GetFileName(_path) + "*"))
        {
            File.Delete(file);
        }
    }

    [Benchmark(Baseline = true)]
    public decimal InMemoryAggregator512()
    {
        var aggregator = new InMemoryCostAggregator();
        foreach (var record in _records)
        {
            aggregator.Record(record);
        }

        return aggregator.TotalCost;
    }

    [Benchmark]
    public Task SqliteOneBatchOf512() => _store.WriteAsync(_records);

    [Benchmark]
    public async Task SqliteOneTransactionPerRecord512()
    {
        foreach (var record in _records)
        {
            await _store.WriteAsync([record]);
        }
    }

    [Benchmark]
    public async Task SinkRecord512ThenFlush()
    {
        foreach (var record in _records)
        {
            _sink.Record(record);
        }

        await _sink.FlushAsync();
    }
}
