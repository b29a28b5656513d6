using BenchmarkDotNet.Attributes;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// Throughput of reserve + settle under three nested policies with 1 and 2 threads (this machine has 2 cores). Each thread
/// works for its own tenant and session, as concurrent requests of different users do; time is per reserve+settle pair.
/// </summary>
[MemoryDiagnoser]
public class BudgetLedgerScalingBenchmarks
{
    private const int Pairs = 200_000;
    private InMemoryBudgetLedger _ledger = null!;
    private GovernanceScope[] _scopes = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ledger = new InMemoryBudgetLedger(BudgetLedgerBenchmarks.ThreePolicies());
        _scopes = [new() { Tenant = "acme", Feature = "support", Session = "s-1" }, new() { Tenant = "globex", Feature = "search", Session = "s-2" }];
        Run(0, 1000);
        Run(1, 1000);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Pairs)]
    public void OneThread() => Run(0, Pairs);

    [Benchmark(OperationsPerInvoke = Pairs)]
    public void TwoThreads()
    {
        var other = new Thread(() => Run(1, Pairs / 2));
        other.Start();
        Run(0, Pairs / 2);
        other.Join();
    }

    private void Run(int scope, int count)
    {
        var s = _scopes[scope];
        for (var i = 0; i < count; i++)
        {
            var result = _ledger.ReserveAsync(s, 0.0125m, 1_500).Result;
            _ = _ledger.SettleAsync(result.Reservation, 0.0041m, 900).Result;
        }
    }
}
