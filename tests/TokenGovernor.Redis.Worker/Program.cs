// A separate process for the Redis ledger's multi-process tests: "spend" runs concurrent callers against one shared budget
// and prints what it settled; "hold" reserves once, prints the id, and waits to be killed mid-reservation.
using System.Globalization;
using StackExchange.Redis;
using TokenGovernor;
using TokenGovernor.Redis;

var mode = args[0];
var endpoint = args[1];
var prefix = args[2];
var limit = decimal.Parse(args[3], CultureInfo.InvariantCulture);
using var redis = await ConnectionMultiplexer.ConnectAsync(endpoint);
var policy = new BudgetPolicy("global") { CostLimit = limit };

if (mode == "hold")
{
    var holder = new RedisBudgetLedger(redis, [policy], new RedisBudgetLedgerOptions { KeyPrefix = prefix, ReservationLease = TimeSpan.FromSeconds(int.Parse(args[4], CultureInfo.InvariantCulture)) });
    var held = await holder.ReserveAsync(GovernanceScope.Empty, decimal.Parse(args[5], CultureInfo.InvariantCulture), 0);
    Console.WriteLine(held.IsGranted ? $"reserved {held.Reservation.Id}" : "denied");
    await Task.Delay(Timeout.Infinite);
    return;
}

var callers = int.Parse(args[4], CultureInfo.InvariantCulture);
var calls = int.Parse(args[5], CultureInfo.InvariantCulture);
var seed = int.Parse(args[6], CultureInfo.InvariantCulture);
var ledger = new RedisBudgetLedger(redis, [policy], new RedisBudgetLedgerOptions { KeyPrefix = prefix, OperationTimeout = TimeSpan.FromSeconds(5) });
long granted = 0, denied = 0;
decimal settled = 0;
var gate = new object();
Console.WriteLine("ready");
await Parallel.ForAsync(0, callers, new ParallelOptions { MaxDegreeOfParallelism = callers }, async (caller, ct) =>
{
    var random = new Random((seed * 1000) + caller);
    for (var i = 0; i < calls; i++)
    {
        var worst = Math.Round((decimal)random.NextDouble() * 0.05m, 6) + 0.000001m;
        var result = await ledger.ReserveAsync(GovernanceScope.Empty, worst, 0, ct);
        if (!result.IsGranted)
        {
            Interlocked.Increment(ref denied);
            continue;
        }

        Interlocked.Increment(ref granted);
        await Task.Yield();
        var actual = Math.Round(worst * (decimal)random.NextDouble(), 6);
        if (await ledger.SettleAsync(result.Reservation, actual, 0, ct) is not null)
        {
            lock (gate)
            {
                settled += actual;
            }
        }
    }
});

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {granted} {denied} {settled}"));
