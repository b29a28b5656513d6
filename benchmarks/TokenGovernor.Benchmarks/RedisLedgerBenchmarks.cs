using BenchmarkDotNet.Attributes;
using TokenGovernor.Redis;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// Reserve + settle under three nested policies against a local redis-server (loopback), one script per operation: one
/// caller at a time (latency) and 64 concurrent callers sharing one multiplexer, whose commands StackExchange.Redis pipelines
/// on one socket (throughput). Baseline: the in-memory ledger, one caller. Time is per reserve+settle pair.
/// </summary>
[MemoryDiagnoser]
public class RedisLedgerBenchmarks
{
    private const int Pairs = 2_000;
    private LocalRedis _redis = null!;
    private InMemoryBudgetLedger _memory = null!;
    private RedisBudgetLedger _ledger = null!;
    private GovernanceScope[] _scopes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _redis = LocalRedis.Start();
        _memory = new InMemoryBudgetLedger(BudgetLedgerBenchmarks.ThreePolicies());
        _ledger = new RedisBudgetLedger(_redis.Connection, BudgetLedgerBenchmarks.ThreePolicies(),
            new RedisBudgetLedgerOptions { KeyPrefix = "bench-" + Guid.NewGuid().ToString("N"), OperationTimeout = TimeSpan.FromSeconds(10) });
        _scopes = [.. Enumerable.Range(0, 64).Select(i => new GovernanceScope { Tenant = "t" + (i % 8), Feature = "f" + (i % 4), Session = "s" + i })];
        RunAsync(_ledger, 1, 100).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _redis.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs)]
    public Task InMemoryOneCaller() => RunAsync(_memory, 1, Pairs);

    [Benchmark(OperationsPerInvoke = Pairs)]
    public Task RedisOneCaller() => RunAsync(_ledger, 1, Pairs);

    [Benchmark(OperationsPerInvoke = Pairs)]
    public Task Redis64Callers() => RunAsync(_ledger, 64, Pairs);

    internal Task RunAsync(IBudgetLedger ledger, int callers, int pairs) =>
        Parallel.ForAsync(0, callers, new ParallelOptions { MaxDegreeOfParallelism = callers }, async (caller, _) =>
        {
            var scope = _scopes[caller];
            for (var i = 0; i < pairs / callers; i++)
            {
                var result = await ledger.ReserveAsync(scope, 0.0125m, 1_500);
                await ledger.SettleAsync(result.Reservation, 0.0041m, 900);
            }
        });
}
