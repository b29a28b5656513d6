using TokenGovernor.Testing;

namespace TokenGovernor.Sqlite.Tests;

/// <summary>The ledger contract every <see cref="IBudgetLedger"/> keeps, run against a SQLite file per test.</summary>
public sealed class SqliteBudgetLedgerContractTests : BudgetLedgerContractTests, IDisposable
{
    private readonly TempDatabase _files = new();
    private readonly List<SqliteBudgetLedger> _ledgers = [];

    protected override IBudgetLedger CreateLedger(IEnumerable<BudgetPolicy> policies, BudgetLedgerOptions? options = null, TimeProvider? timeProvider = null)
    {
        var ledger = new SqliteBudgetLedger(_files.NewPath(), policies, new SqliteBudgetLedgerOptions
        {
            ReservationLease = options?.ReservationLease ?? TimeSpan.FromMinutes(10),
        }, timeProvider);
        _ledgers.Add(ledger);
        return ledger;
    }

    protected override Task<long> OpenReservationsAsync(IBudgetLedger ledger) => Task.FromResult(((SqliteBudgetLedger)ledger).CountOpenReservations());

    protected override long ExpiredReservations(IBudgetLedger ledger) => ((SqliteBudgetLedger)ledger).ExpiredReservations;

    // Each step is a committed transaction on a file: fewer sequences keep the property well under a few seconds.
    protected override int PropertyIterations => 60;

    public void Dispose()
    {
        foreach (var ledger in _ledgers)
        {
            ledger.Dispose();
        }

        _files.Dispose();
    }
}
