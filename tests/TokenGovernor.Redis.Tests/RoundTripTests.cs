using StackExchange.Redis;

namespace TokenGovernor.Redis.Tests;

/// <summary>The promise that a reserve and a settle are one round trip each, counted by a server no other test uses.</summary>
public class RoundTripTests
{
    [SkippableFact]
    public async Task ReserveAndSettle_ThreePolicies_OneScriptCallEach()
    {
        Skip.If(RedisServer.Binary is null && Environment.GetEnvironmentVariable("TOKENGOVERNOR_REQUIRE_REDIS") != "1",
            "Round-trip test skipped: it starts its own redis-server, and none is on PATH.");
        using var server = RedisServer.Start();
        using var connection = ConnectionMultiplexer.Connect(server.Endpoint + ",allowAdmin=true");
        var ledger = new RedisBudgetLedger(connection,
        [
            new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 100m },
            new BudgetPolicy("feature") { Level = ScopeLevel.Feature, CostLimit = 100m, Window = BudgetWindow.Hour },
            new BudgetPolicy("session") { Level = ScopeLevel.Session, CostLimit = 100m, Window = BudgetWindow.Sliding },
        ], new RedisBudgetLedgerOptions { OperationTimeout = TimeSpan.FromSeconds(5) });
        var scope = new GovernanceScope { Tenant = "acme", Feature = "support", Session = "s1" };
        var warm = await ledger.ReserveAsync(scope, 0.01m, 10); // loads the scripts
        await ledger.SettleAsync(warm.Reservation, 0.01m, 10);
        var admin = connection.GetServer(connection.GetEndPoints()[0]);
        var before = ScriptCalls(admin);

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

    private static long ScriptCalls(IServer server) => server.Info("commandstats")
        .SelectMany(g => g)
        .Where(p => p.Key is "cmdstat_eval" or "cmdstat_evalsha")
        .Sum(p => long.Parse(p.Value.Split(',')[0].Split('=')[1], System.Globalization.CultureInfo.InvariantCulture));
}
