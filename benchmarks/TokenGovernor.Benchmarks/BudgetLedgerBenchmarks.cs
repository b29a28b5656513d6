using BenchmarkDotNet.Attributes;
using TokenGovernor.Sqlite;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// Reserve + settle for a call covered by three nested policies (tenant › feature › session). Baseline: the in-memory ledger.
/// Beside it, the least any ledger must do (three locked decimal additions and subtractions) and the durable SQLite ledger
/// (two WAL commits per call, synchronous=NORMAL, on a temporary file).
/// </summary>
[MemoryDiagnoser]
public class BudgetLedgerBenchmarks
{
    private string _sqlitePath = null!;
    private SqliteBudgetLedger _sqlite = null!;
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
        _sqlitePath = Path.Combine(Path.GetTempPath(), $"tokengov-bench-{Guid.NewGuid():N}.db");
        _sqlite = new SqliteBudgetLedger(_sqlitePath, ThreePolicies());
        SqliteReserveSettleThreeScopes();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sqlite.Dispose();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_sqlitePath)!, Path.GetFileName(_sqlitePath) + "*"))
        {
            File.Delete(file);
        }
    }

    [Benchmark]
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

    [Benchmark(Baseline = true)]
    public decimal ReserveSettleThreeScopes()
    {
        var result = _ledger.ReserveAsync(_scope, 0.0125m, 1_500).Result;
        return _ledger.SettleAsync(result.Reservation, 0.0041m, 900).Result ?? 0;
    }

    [Benchmark]
    public decimal SqliteReserveSettleThreeScopes()
    {
        var result = _sqlite.ReserveAsync(_scope, 0.0125m, 1_500).Result;
        return _sqlite.SettleAsync(result.Reservation, 0.0041m, 900).Result ?? 0;
    }

    internal static BudgetPolicy[] ThreePolicies() =>
    [
        new("tenant-daily") { Level = ScopeLevel.Tenant, CostLimit = 1_000_000_000m, Window = BudgetWindow.Day },
        new("feature-hourly") { Level = ScopeLevel.Feature, CostLimit = 1_000_000_000m, Window = BudgetWindow.Hour, TimeZoneId = "Europe/Berlin" },
        new("session-sliding") { Level = ScopeLevel.Session, CostLimit = 1_000_000_000m, Window = BudgetWindow.Sliding, SlidingWindow = TimeSpan.FromHours(1) },
    ];
}
