using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace TokenGovernor.Redis.Tests;

/// <summary>
/// Each <see cref="BudgetWindow"/> on a real redis-server: the spend is recorded, Redis keeps it for the whole window (a lifetime
/// spend never expires), and it resets at the window's boundary and not before.
/// </summary>
public class RedisWindowContractTests
{
    // Tuesday 10 March 2026, 12:00:30 UTC: inside every calendar window, away from each boundary.
    private static readonly DateTimeOffset s_start = new(2026, 3, 10, 12, 0, 30, TimeSpan.Zero);

    public static TheoryData<BudgetWindow> Windows => [.. Enum.GetValues<BudgetWindow>()];

    [SkippableTheory]
    [MemberData(nameof(Windows))]
    public async Task Settle_EachWindow_SpendKeptForTheWindowAndResetAtItsBoundary(BudgetWindow window)
    {
        var redis = RedisFixture.Shared;
        var prefix = redis.NewPrefix("window-" + window);
        var time = new FakeTimeProvider(s_start);
        var policy = new BudgetPolicy("p") { CostLimit = 1m, Window = window, SlidingWindow = TimeSpan.FromHours(1) };
        var ledger = new RedisBudgetLedger(redis.Connection, [policy], new RedisBudgetLedgerOptions { KeyPrefix = prefix, OperationTimeout = TimeSpan.FromSeconds(5) }, time);
        var reservation = await ledger.ReserveAsync(GovernanceScope.Empty, 0.4m, 0);
        Assert.True(reservation.IsGranted);

        Assert.Equal(0.1m, await ledger.SettleAsync(reservation.Reservation, 0.3m, 0));

        Assert.Equal(0.3m, Spent(ledger));
        var ttl = SpendKeyTtl(redis.Connection, prefix);
        var (beforeEnd, afterEnd) = Boundary(window, policy);
        if (window == BudgetWindow.Lifetime)
        {
            Assert.Null(ttl); // never expires: a PEXPIRE of 1 ms would have erased it already
        }
        else
        {
            Assert.NotNull(ttl);
            Assert.True(ttl >= beforeEnd - s_start, $"Redis keeps the spend {ttl}, less than the {beforeEnd - s_start} left in the window");
        }

        time.SetUtcNow(beforeEnd);
        Assert.Equal(0.3m, Spent(ledger));
        time.SetUtcNow(afterEnd);
        Assert.Equal(window == BudgetWindow.Lifetime ? 0.3m : 0m, Spent(ledger));
    }

    private static decimal Spent(RedisBudgetLedger ledger) => Assert.Single(ledger.GetUsage(GovernanceScope.Empty)).SpentCost;

    // The last instant the first spend still counts, and one after the window moved past it.
    private static (DateTimeOffset BeforeEnd, DateTimeOffset AfterEnd) Boundary(BudgetWindow window, BudgetPolicy policy)
    {
        if (window == BudgetWindow.Lifetime)
        {
            return (s_start.AddYears(10), s_start.AddYears(50));
        }

        if (window == BudgetWindow.Sliding)
        {
            // The spend falls in a one-minute bucket; it leaves the window once the whole bucket is older than the span.
            return (s_start + policy.SlidingWindow - TimeSpan.FromMinutes(1), s_start + policy.SlidingWindow + TimeSpan.FromMinutes(1));
        }

        // Calendar windows in UTC, weeks from Monday (the policy's defaults).
        var end = window switch
        {
            BudgetWindow.Minute => new DateTimeOffset(2026, 3, 10, 12, 1, 0, TimeSpan.Zero),
            BudgetWindow.Hour => new DateTimeOffset(2026, 3, 10, 13, 0, 0, TimeSpan.Zero),
            BudgetWindow.Day => new DateTimeOffset(2026, 3, 11, 0, 0, 0, TimeSpan.Zero),
            BudgetWindow.Week => new DateTimeOffset(2026, 3, 16, 0, 0, 0, TimeSpan.Zero),
            BudgetWindow.Month => new DateTimeOffset(2026, 4, 1, 0, 0, 0, TimeSpan.Zero),
            _ => throw new ArgumentOutOfRangeException(nameof(window), window, "a new window needs its boundary here"),
        };
        Assert.Equal(DayOfWeek.Monday, policy.FirstDayOfWeek);
        return (end - TimeSpan.FromMilliseconds(1), end);
    }

    // The PTTL of the one spend key the settle wrote, or null when it has none (persistent).
    private static TimeSpan? SpendKeyTtl(IConnectionMultiplexer connection, string prefix)
    {
        var server = connection.GetServer(connection.GetEndPoints()[0]);
        var key = Assert.Single(server.Keys(pattern: "{" + prefix + "}:s:*"));
        return connection.GetDatabase().KeyTimeToLive(key);
    }
}
