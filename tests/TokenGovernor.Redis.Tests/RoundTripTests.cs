using StackExchange.Redis;

namespace TokenGovernor.Redis.Tests;

/// <summary>The promise that a reserve and a settle are one round trip each, counted by a server no other test uses.</summary>
[Collection(TimingSensitiveCollection.Name)]
public class RoundTripTests
{
    [SkippableFact]
    public async Task ReserveAndSettle_ThreePolicies_OneScriptCallEach()
    {
        Skip.If(RedisServer.Binary is null && Environment.GetEnvironmentVariable("TOKENGOVERNOR_REQUIRE_REDIS") != "1",
            "Round-trip test skipped: it starts its own redis-server, and none is on PATH.");
        using var server = RedisServer.Start();
        using var connection = ConnectionMultiplexer.Connect(server.Endpoint + ",allowAdmin=true");

        // Other tests stop their servers while their clients keep reconnecting; one may reach this server if it got the freed
        // port. A password keeps their commands out of the counts (this connection is already authenticated).
        var admin = connection.GetServer(connection.GetEndPoints()[0]);
        await admin.ExecuteAsync("CONFIG", "SET", "requirepass", Guid.NewGuid().ToString("N"));
        await admin.ExecuteAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
        var ledger = new RedisBudgetLedger(connection,
        [
            new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 100m },
            new BudgetPolicy("feature") { Level = ScopeLevel.Feature, CostLimit = 100m, Window = BudgetWindow.Hour },
            new BudgetPolicy("session") { Level = ScopeLevel.Session, CostLimit = 100m, Window = BudgetWindow.Sliding },
        ], new RedisBudgetLedgerOptions { OperationTimeout = TimeSpan.FromSeconds(5) });
        var scope = new GovernanceScope { Tenant = "acme", Feature = "support", Session = "s1" };
        var warm = await ledger.ReserveAsync(scope, 0.01m, 10); // loads the scripts
        await ledger.SettleAsync(warm.Reservation, 0.01m, 10);
        // Wait until the warm-up's own work has reached the server (a script it started may still be in flight on a loaded machine).
        var before = ScriptCalls(admin);
        for (var i = 0; i < 50; i++)
        {
            await Task.Delay(50);
            var now = ScriptCalls(admin);
            if (now == before)
            {
                break;
            }

            before = now;
        }


        var reservations = new List<BudgetReservation>();
        for (var i = 0; i < 50; i++)
        {
            reservations.Add((await ledger.ReserveAsync(scope, 0.01m, 10)).Reservation);
        }

        var afterReserve = ScriptCalls(admin);
        foreach (var r in reservations)
        {
            await ledger.SettleAsync(r, 0.005m, 5);
        }

        var afterSettle = ScriptCalls(admin);
        Assert.Equal(50, afterReserve - before);
        Assert.Equal(50, afterSettle - afterReserve);
    }

    // Script executions that ran: calls minus failed ones. An EVALSHA answered NOSCRIPT (the script cache of a server this process
    // has not used yet) fails and is retried as EVAL once per script; that is a cold-cache event, not the per-operation cost.
    private static long ScriptCalls(IServer server) => server.Info("commandstats")
        .SelectMany(g => g)
        .Where(p => p.Key is "cmdstat_eval" or "cmdstat_evalsha")
        .Sum(p => Stat(p.Value, "calls") - Stat(p.Value, "failed_calls"));

    private static long Stat(string stats, string name) => stats.Split(',')
        .Select(kv => kv.Split('='))
        .Where(kv => kv[0] == name)
        .Select(kv => long.Parse(kv[1], System.Globalization.CultureInfo.InvariantCulture))
        .FirstOrDefault();
}
