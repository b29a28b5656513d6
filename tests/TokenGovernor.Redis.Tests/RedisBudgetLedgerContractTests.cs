using TokenGovernor.Testing;

namespace TokenGovernor.Redis.Tests;

/// <summary>The ledger contract every <see cref="IBudgetLedger"/> keeps, run against a real Redis.</summary>
public class RedisBudgetLedgerContractTests : BudgetLedgerContractTests
{
    protected override IBudgetLedger CreateLedger(IEnumerable<BudgetPolicy> policies, BudgetLedgerOptions? options = null, TimeProvider? timeProvider = null)
    {
        var redis = RedisFixture.Shared;
        return new RedisBudgetLedger(redis.Connection, policies, new RedisBudgetLedgerOptions
        {
            KeyPrefix = redis.NewPrefix("contract"),
            ReservationLease = options?.ReservationLease ?? TimeSpan.FromMinutes(10),
            OperationTimeout = TimeSpan.FromSeconds(5),
        }, timeProvider);
    }

    protected override async Task<long> OpenReservationsAsync(IBudgetLedger ledger) => await ((RedisBudgetLedger)ledger).CountOpenReservationsAsync();

    protected override long ExpiredReservations(IBudgetLedger ledger) => ((RedisBudgetLedger)ledger).ExpiredReservations;

    // Each step is a round trip to a real redis-server.
    protected override int PropertyIterations => 100;
}
