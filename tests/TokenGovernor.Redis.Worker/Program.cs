// A separate process for the Redis ledger's multi-process tests: "spend" runs concurrent callers against one shared budget
// (ledger options at their defaults) and prints what it granted, denied for lack of budget, refused as ledger-unavailable and
// settled; "hold" reserves once, prints the id, and waits to be killed mid-reservation.
// spend args: endpoint prefix limit callers calls seed [window]
using System.Globalization;
using StackExchange.Redis;
using TokenGovernor;
using TokenGovernor.Redis;

var mode = args[0];
var endpoint = args[1];
var prefix = args[2];
var limit = decimal.Parse(args[3], CultureInfo.InvariantCulture);
using var redis = await ConnectionMultiplexer.ConnectAsync(endpoint);
var window = args.Length > 7 ? Enum.Parse<BudgetWindow>(args[7]) : BudgetWindow.Day;
var policy = new BudgetPolicy("global") { CostLimit = limit, Window = window };

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
// Defaults (OperationTimeout 500 ms, RetryInterval 2 s, TimeoutsBeforeBreaking 5): what an app gets on a busy host.
var ledger = new RedisBudgetLedger(redis, [policy], new RedisBudgetLedgerOptions { KeyPrefix = prefix });
long granted = 0, denied = 0, unavailable = 0;
decimal settled = 0;
var gate = new object();
var latencies = new List<(int Call, double Ms)>();
Console.WriteLine("ready");
await Parallel.ForAsync(0, callers, new ParallelOptions { MaxDegreeOfParallelism = callers }, async (caller, ct) =>
{
    var random = new Random((seed * 1000) + caller);
    for (var i = 0; i < calls; i++)
    {
        var worst = Math.Round((decimal)random.NextDouble() * 0.05m, 6) + 0.000001m;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = await ledger.ReserveAsync(GovernanceScope.Empty, worst, 0, ct);
        var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        lock (latencies)
        {
            latencies.Add((i, ms));
        }
        if (!result.IsGranted)
        {
            Interlocked.Increment(ref result.Denial!.IsLedgerUnavailable ? ref unavailable : ref denied);
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

var sorted = latencies.Select(l => l.Ms).Order().ToList();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"latency p50 {sorted[sorted.Count / 2]:0.0} p99 {sorted[(int)(sorted.Count * 0.99)]:0.0} max {sorted[^1]:0.0} ms; first-call max {latencies.Where(l => l.Call == 0).Max(l => l.Ms):0.0} ms; over 400 ms: {string.Join(",", latencies.Where(l => l.Ms > 400).Select(l => l.Call).Distinct().Order().Take(20))}"));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done {granted} {denied} {settled} {unavailable}"));
