using BenchmarkDotNet.Attributes;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// Reserve + settle on the in-memory ledger for a call covered by three nested policies (tenant › feature › session).
/// Baseline: the least any ledger must do, three locked decimal additions and subtractions.
/// </summary>
[MemoryDiagnoser]
public class BudgetLedgerBenchmarks
{
    private readonly object[] _locks = [new(), new(), new()];
    private readonly decimal[] _amounts = new decimal[3];
    private InMemoryBudgetLedger _ledger = null!;
    private GovernanceScope _scope = null!;

    [GlobalSetup]
    public void Setup()
    {
        _ledger = new InMemoryBudgetLedger(ThreePolicies());
        _scope = new GovernanceScope { Tenant = "acme", Feature = "support", Session = "s-1" };
        ReserveSettleThreeScopes();
    }

    [Benchmark(Baseline = true)]
    public decimal LockedAddThreeCounters()
    {
        for (var i = 0; i < 3; i++)
        {
            lock (_locks[i])
            {
                _amounts[i] += 0.0125m;
            }
        }

        for (var i = 0; i < 3; i++)
        {
            lock (_locks[i])
            {
                _amounts[i] -= 0.0125m;
            }
        }

        return _amounts[0];
    }

    [Benchmark]
    public decimal ReserveSettleThreeScopes()
    {
        var result = _ledger.ReserveAsync(_scope, 0.0125m, 1_500).Result;
        return _ledger.SettleAsync(result.Reservation, 0.0041m, 900).Result ?? 0;
    }

    internal static BudgetPolicy[] ThreePolicies() =>
    [
        new("tenant-daily") { Level = ScopeLevel.Tenant, CostLimit = 1_000_000_000m, Window = BudgetWindow.Day },
        new("feature-hourly") { Level = ScopeLevel.Feature, CostLimit = 1_000_000_000m, Window = BudgetWindow.Hour, TimeZoneId = "Europe/Berlin" },
        new("session-sliding") { Level = ScopeLevel.Session, CostLimit = 1_000_000_000m, Window = BudgetWindow.Sliding, SlidingWindow = TimeSpan.FromHours(1) },
    ];
}
