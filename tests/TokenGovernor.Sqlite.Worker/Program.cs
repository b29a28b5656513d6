// A separate process for the SQLite ledger's kill tests, on a fake clock fixed at the instant the test passes:
//   spend DB TICKS LIMIT   reserves and settles $0.01 calls forever, printing "settled N" after each settle has returned;
//   hold DB TICKS LIMIT LEASE COST   settles one $0.01 call, reserves COST, prints "reserved ID" and waits to be killed.
using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using TokenGovernor;
using TokenGovernor.Sqlite;

var mode = args[0];
var db = args[1];
var time = new FakeTimeProvider(new DateTimeOffset(long.Parse(args[2], CultureInfo.InvariantCulture), TimeSpan.Zero));
var policy = new BudgetPolicy("global") { CostLimit = decimal.Parse(args[3], CultureInfo.InvariantCulture), Window = BudgetWindow.Day };
var lease = mode == "hold" ? TimeSpan.FromSeconds(int.Parse(args[4], CultureInfo.InvariantCulture)) : TimeSpan.FromMinutes(10);
using var ledger = new SqliteBudgetLedger(db, [policy], new SqliteBudgetLedgerOptions { ReservationLease = lease }, time);
var scope = new GovernanceScope { Tenant = "acme" };

if (mode == "hold")
{
    var first = await ledger.ReserveAsync(scope, 0.01m, 10);
    await ledger.SettleAsync(first.Reservation, 0.01m, 10);
    var held = await ledger.ReserveAsync(scope, decimal.Parse(args[5], CultureInfo.InvariantCulture), 100);
    Console.WriteLine(held.IsGranted ? $"reserved {held.Reservation.Id}" : "denied");
    await Task.Delay(Timeout.Infinite);
    return;
}

for (var n = 1; ; n++)
{
    var result = await ledger.ReserveAsync(scope, 0.02m, 20);
    if (!result.IsGranted)
    {
        Console.WriteLine("denied");
        return;
    }

    await ledger.SettleAsync(result.Reservation, 0.01m, 10);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"settled {n}"));
}
