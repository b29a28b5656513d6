using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Budgets;

public class InMemoryBudgetLedgerTests : BudgetLedgerContractTests
{
    protected override IBudgetLedger CreateLedger(IEnumerable<BudgetPolicy> policies, BudgetLedgerOptions? options = null, TimeProvider? timeProvider = null) =>
        new InMemoryBudgetLedger(policies, options, timeProvider);

    protected override Task<long> OpenReservationsAsync(IBudgetLedger ledger) => Task.FromResult((long)((InMemoryBudgetLedger)ledger).OutstandingReservations);

    protected override long ExpiredReservations(IBudgetLedger ledger) => ((InMemoryBudgetLedger)ledger).ExpiredReservations;
}
