using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;
using TokenGovernor.Redis;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// <c>--redis-report</c>: what BenchmarkDotNet cannot show — Redis round trips per ledger operation (counted by the server,
/// INFO commandstats) and how long a new semantic-cache entry takes to reach another instance's index.
/// </summary>
internal static class RedisReport
{
    public static async Task RunAsync()
    {
        using var redis = LocalRedis.Start();
        var ledger = new RedisBudgetLedger(redis.Connection, BudgetLedgerBenchmarks.ThreePolicies(),
            new RedisBudgetLedgerOptions { KeyPrefix = "report-" + Guid.NewGuid().ToString("N") });
        var scope = new GovernanceScope { Tenant = "acme", Feature = "support", Session = "s-1" };
        await ledger.ReserveAsync(scope, 0.01m, 10); // the first call loads the script (EVAL), later ones use EVALSHA

        const int calls = 1_000;
        var before = redis.ScriptCalls();
        var reservations = new BudgetReservation[calls];
        for (var i = 0; i < calls; i++)
        {
            reservations[i] = (await ledger.ReserveAsync(scope, 0.0125m, 1_500)).Reservation;
        }

        var afterReserve = redis.ScriptCalls();
        foreach (var r in reservations)
        {
            await ledger.SettleAsync(r, 0.0041m, 900);
        }

        var afterSettle = redis.ScriptCalls();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Round trips per reserve: {(afterReserve - before) / (double)calls:0.000}; per settle: {(afterSettle - afterReserve) / (double)calls:0.000} (server-counted EVAL/EVALSHA over {calls} calls)"));

        // Replication lag: instance A publishes, instance B (own connection) adds to its index.
        using var otherConnection = StackExchange.Redis.ConnectionMultiplexer.Connect(redis.Endpoint);
        var prefix = "lag-" + Guid.NewGuid().ToString("N");
        using var a = new RedisSemanticCacheReplicator(redis.Connection, new RedisSemanticCacheReplicatorOptions { KeyPrefix = prefix });
        using var b = new RedisSemanticCacheReplicator(otherConnection, new RedisSemanticCacheReplicatorOptions { KeyPrefix = prefix });
        var arrivals = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        using var subscription = b.Subscribe(e => arrivals[e.Text] = Stopwatch.GetTimestamp());
        await Task.Delay(500);
        var vector = new float[384];
        vector[0] = 1;
        var lags = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            var text = "question " + i.ToString(CultureInfo.InvariantCulture);
            var sent = Stopwatch.GetTimestamp();
            await a.PublishAsync(new SemanticCacheEntry
            {
                Partition = "p",
                Text = text,
                Vector = vector,
                Response = new ChatResponse(new ChatMessage(ChatRole.Assistant, "answer " + i.ToString(CultureInfo.InvariantCulture))),
                Cost = 0.001m,
                ExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
            });
            while (!arrivals.ContainsKey(text))
            {
                await Task.Yield();
            }

            lags.Add(Stopwatch.GetElapsedTime(sent, arrivals[text]).TotalMilliseconds);
            await Task.Delay(5);
        }

        lags.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Semantic entry replication lag to another instance (200 entries): p50 {lags[100]:0.00} ms, p99 {lags[197]:0.00} ms, max {lags[^1]:0.00} ms"));
    }
}
