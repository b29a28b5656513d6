using StackExchange.Redis;

namespace TokenGovernor.Redis.Tests;

/// <summary>
/// The reserve and abandon scripts, called directly, for the two orders in which a reserve that got no reply and its
/// abandon can reach Redis. The fault tests reach these orders only by timing; here each is forced.
/// </summary>
public class AbandonScriptTests
{
    private const long LeaseMs = 60_000;

    [SkippableFact]
    public async Task Abandon_ArrivesBeforeItsReserve_ReserveIsRefusedAndHoldsNothing()
    {
        var (db, p) = Ledger();

        var abandoned = (long)await Abandon(db, p, "tok-1");
        var reply = (RedisResult[])(await Reserve(db, p, "tok-1"))!;

        Assert.Equal(0, abandoned);
        Assert.Equal(2, (long)reply[0]);
        Assert.Equal(0, await db.SortedSetLengthAsync(p + ":leases"));
        Assert.False(await db.KeyExistsAsync(HoldKey(p)));
    }

    [SkippableFact]
    public async Task Abandon_ArrivesAfterItsReserve_ReleasesTheHoldExactlyOnce()
    {
        var (db, p) = Ledger();
        var reply = (RedisResult[])(await Reserve(db, p, "tok-2"))!;
        Assert.Equal(1, (long)reply[0]);
        Assert.Equal(1_000_000, (long)await db.HashGetAsync(HoldKey(p), "rc"));

        var first = (long)await Abandon(db, p, "tok-2");
        var second = (long)await Abandon(db, p, "tok-2");

        Assert.Equal(1, first);
        Assert.Equal(0, second);
        Assert.False(await db.KeyExistsAsync(HoldKey(p)));
        Assert.Equal(0, await db.SortedSetLengthAsync(p + ":leases"));
        Assert.Equal("r", (string?)await db.HashGetAsync(p + ":r:" + (long)reply[1], "st"));
    }

    [SkippableFact]
    public async Task Abandon_OtherToken_LeavesTheReservationAlone()
    {
        var (db, p) = Ledger();
        Assert.Equal(1, (long)((RedisResult[])(await Reserve(db, p, "tok-3"))!)[0]);

        Assert.Equal(0, (long)await Abandon(db, p, "tok-4"));

        Assert.Equal(1, await db.SortedSetLengthAsync(p + ":leases"));
        Assert.Equal(1_000_000, (long)await db.HashGetAsync(HoldKey(p), "rc"));
    }

    private static (IDatabase Db, string Prefix) Ledger()
    {
        var redis = RedisFixture.Shared;
        return (redis.Connection.GetDatabase(), "{" + redis.NewPrefix("abandon") + "}");
    }

    private static string HoldKey(string p) => p + ":h:global\u001f";

    // One counter (policy "global", empty key, a calendar window, no token or request limit), 0.001 USD (1,000,000 nano-dollars), no tokens.
    private static Task<RedisResult> Reserve(IDatabase db, string p, string token)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return db.ScriptEvaluateAsync(RedisLedgerScripts.Reserve, [p + ":seq", p + ":leases"],
        [
            p, now, 1_000_000, 0, now + LeaseMs, 2 * LeaseMs, 16, 1,
            "global", "", "w", LeaseMs, 1_000_000_000, -1, 1, -1, -1,
            token,
        ]);
    }

    private static Task<RedisResult> Abandon(IDatabase db, string p, string token) =>
        db.ScriptEvaluateAsync(RedisLedgerScripts.Abandon, [p + ":leases"], [p, token, 2 * LeaseMs, LeaseMs]);
}
