using Microsoft.Extensions.Time.Testing;

namespace TokenGovernor.Testing;

/// <summary>
/// The behaviour every <see cref="IBudgetLedger"/> must have: run by the in-memory ledger's tests and the Redis ledger's tests,
/// so both keep the same promises.
/// </summary>
#pragma warning disable CA1707, CA1515, CA1861, CA2007 // test names, public test class, literal arrays
public abstract partial class BudgetLedgerContractTests
{
    /// <summary>Creates the ledger under test.</summary>
    protected abstract IBudgetLedger CreateLedger(IEnumerable<BudgetPolicy> policies, BudgetLedgerOptions? options = null, TimeProvider? timeProvider = null);

    /// <summary>How many reservations are open (neither settled, released nor reclaimed).</summary>
    protected abstract Task<long> OpenReservationsAsync(IBudgetLedger ledger);

    /// <summary>How many reservations the ledger reclaimed after their lease.</summary>
    protected abstract long ExpiredReservations(IBudgetLedger ledger);

    private static readonly DateTimeOffset s_start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private static readonly GovernanceScope s_acme = new() { Tenant = "acme", Feature = "support", Session = "s1" };

    private static BudgetPolicy Tenant(decimal limit, BudgetMode mode = BudgetMode.Strict) =>
        new("tenant-daily") { Level = ScopeLevel.Tenant, CostLimit = limit, Mode = mode };

    [SkippableFact]
    public async Task ReserveAsync_WithinLimit_Grants()
    {
        var ledger = CreateLedger([Tenant(1m)]);

        var result = await ledger.ReserveAsync(s_acme, 0.6m, 100);

        Assert.True(result.IsGranted);
        Assert.Equal(0.6m, ledger.GetUsage(s_acme)[0].ReservedCost);
    }

    [SkippableFact]
    public async Task ReserveAsync_StrictOverLimit_DeniesNamingPolicyAndRoom()
    {
        var ledger = CreateLedger([Tenant(1m)]);
        await ledger.ReserveAsync(s_acme, 0.6m, 0);

        var result = await ledger.ReserveAsync(s_acme, 0.5m, 0);

        Assert.False(result.IsGranted);
        Assert.Equal("tenant-daily", result.Denial!.Policy.Name);
        Assert.Equal("acme", result.Denial.Key);
        Assert.Equal(0.4m, result.Denial.Remaining);
        Assert.NotNull(result.Denial.WindowResetsAt);
    }

    [SkippableFact]
    public async Task ReserveAsync_OneOfSeveralBudgetsFull_ReservesInNone()
    {
        var ledger = CreateLedger(
        [
            Tenant(10m),
            new BudgetPolicy("feature") { Level = ScopeLevel.Feature, CostLimit = 0.5m },
        ]);

        var result = await ledger.ReserveAsync(s_acme, 1m, 0);

        Assert.False(result.IsGranted);
        Assert.Equal("feature", result.Denial!.Policy.Name);
        Assert.All(ledger.GetUsage(s_acme), u => Assert.Equal(0m, u.ReservedCost));
    }

    [SkippableFact]
    public async Task ReserveAsync_EachTenant_GetsItsOwnBudget()
    {
        var ledger = CreateLedger([Tenant(1m)]);
        await ledger.ReserveAsync(s_acme, 1m, 0);

        var other = await ledger.ReserveAsync(s_acme with { Tenant = "globex" }, 1m, 0);

        Assert.True(other.IsGranted);
    }

    [SkippableFact]
    public async Task ReserveAsync_SpecificKeyPolicy_IgnoresOtherKeys()
    {
        var ledger = CreateLedger([new BudgetPolicy("acme-only") { Level = ScopeLevel.Tenant, Key = "acme", CostLimit = 0m }]);

        Assert.False((await ledger.ReserveAsync(s_acme, 0.01m, 0)).IsGranted);
        Assert.True((await ledger.ReserveAsync(s_acme with { Tenant = "globex" }, 5m, 0)).IsGranted);
    }

    [SkippableFact]
    public async Task ReserveAsync_ScopeWithoutLevel_PolicyDoesNotApply()
    {
        var ledger = CreateLedger([Tenant(0m)]);

        Assert.True((await ledger.ReserveAsync(GovernanceScope.Empty, 5m, 0)).IsGranted);
    }

    [SkippableFact]
    public async Task ReserveAsync_TokenLimit_DeniesOnTokens()
    {
        var ledger = CreateLedger([new BudgetPolicy("tokens") { TokenLimit = 1_000 }]);
        await ledger.ReserveAsync(s_acme, 0, 900);

        var result = await ledger.ReserveAsync(s_acme, 0, 200);

        Assert.True(result.Denial!.IsTokenLimit);
        Assert.Equal(100m, result.Denial.Remaining);
    }

    [SkippableFact]
    public async Task SettleAsync_Twice_CountsOnce()
    {
        var ledger = CreateLedger([Tenant(1m)]);
        var r = (await ledger.ReserveAsync(s_acme, 0.5m, 10)).Reservation;

        var first = await ledger.SettleAsync(r, 0.2m, 5);
        var second = await ledger.SettleAsync(r, 0.2m, 5);
        var release = await ledger.ReleaseAsync(r);

        Assert.Equal(0.3m, first);
        Assert.Null(second);
        Assert.False(release);
        var usage = ledger.GetUsage(s_acme)[0];
        Assert.Equal(0.2m, usage.SpentCost);
        Assert.Equal(0m, usage.ReservedCost);
        Assert.Equal(0, await OpenReservationsAsync(ledger));
    }

    [SkippableFact]
    public async Task ReleaseAsync_Twice_ReleasesOnce()
    {
        var ledger = CreateLedger([Tenant(1m)]);
        var r = (await ledger.ReserveAsync(s_acme, 0.5m, 10)).Reservation;

        Assert.True(await ledger.ReleaseAsync(r));
        Assert.False(await ledger.ReleaseAsync(r));
        Assert.Null(await ledger.SettleAsync(r, 0.5m, 1));
        Assert.Equal(0m, ledger.GetUsage(s_acme)[0].SpentCost);
    }

    [SkippableFact]
    public async Task SettleAsync_StaleIdAfterSlotReuse_DoesNothing()
    {
        var ledger = CreateLedger([Tenant(10m)]);
        var first = (await ledger.ReserveAsync(s_acme, 1m, 0)).Reservation;
        await ledger.ReleaseAsync(first);
        var second = (await ledger.ReserveAsync(s_acme, 2m, 0)).Reservation;

        Assert.Null(await ledger.SettleAsync(first, 1m, 0));
        Assert.Equal(2m, ledger.GetUsage(s_acme)[0].ReservedCost);
        Assert.Equal(1.5m, await ledger.SettleAsync(second, 0.5m, 0));
    }

    [SkippableFact]
    public async Task Strict_ManyParallelCallersRandomCosts_NeverSpendPastAnyLimit()
    {
        var policies = new[]
        {
            new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 5m },
            new BudgetPolicy("feature") { Level = ScopeLevel.Feature, CostLimit = 3m },
            new BudgetPolicy("session") { Level = ScopeLevel.Session, CostLimit = 0.9m },
        };
        for (var round = 0; round < 5; round++)
        {
            var ledger = CreateLedger(policies);
            await Parallel.ForAsync(0, 64, async (caller, ct) =>
            {
                var random = new Random((round * 1000) + caller);
                for (var call = 0; call < 50; call++)
                {
                    var scope = new GovernanceScope { Tenant = "t" + random.Next(2), Feature = "f" + random.Next(3), Session = "s" + random.Next(8) };
                    var worst = Math.Round((decimal)random.NextDouble() * 0.2m, 6);
                    var result = await ledger.ReserveAsync(scope, worst, 0, ct);
                    if (!result.IsGranted)
                    {
                        continue;
                    }

                    await Task.Yield();
                    var actual = Math.Round(worst * (decimal)random.NextDouble(), 6);
                    if (random.Next(10) == 0)
                    {
                        await ledger.ReleaseAsync(result.Reservation, ct);
                    }
                    else
                    {
                        await ledger.SettleAsync(result.Reservation, actual, 0, ct);
                    }
                }
            });

            Assert.Equal(0, await OpenReservationsAsync(ledger));
            foreach (var tenant in new[] { "t0", "t1" })
            {
                for (var f = 0; f < 3; f++)
                {
                    for (var s = 0; s < 8; s++)
                    {
                        foreach (var usage in ledger.GetUsage(new GovernanceScope { Tenant = tenant, Feature = "f" + f, Session = "s" + s }))
                        {
                            Assert.True(usage.SpentCost <= usage.Policy.CostLimit, $"{usage.Policy.Name} {usage.Key} spent {usage.SpentCost}");
                            Assert.Equal(0m, usage.ReservedCost);
                            Assert.Equal(0m, usage.Overspend);
                        }
                    }
                }
            }
        }
    }

    [SkippableFact]
    public async Task Optimistic_CallStraddlingLimit_IsAdmittedAndOverspendReported()
    {
        var ledger = CreateLedger([new BudgetPolicy("global") { CostLimit = 1m, Mode = BudgetMode.Optimistic }]);
        var first = await ledger.ReserveAsync(GovernanceScope.Empty, 0.9m, 0);
        var second = await ledger.ReserveAsync(GovernanceScope.Empty, 0.5m, 0);
        var third = await ledger.ReserveAsync(GovernanceScope.Empty, 0.1m, 0);

        await ledger.SettleAsync(first.Reservation, 0.9m, 0);
        await ledger.SettleAsync(second.Reservation, 0.5m, 0);

        Assert.True(second.IsGranted);
        Assert.False(third.IsGranted);
        Assert.Equal(0.4m, ledger.GetUsage(GovernanceScope.Empty)[0].Overspend);
    }

    [SkippableFact]
    public async Task Optimistic_ManyParallelCallers_OverspendBoundedByLargestInFlightCall()
    {
        for (var round = 0; round < 5; round++)
        {
            var ledger = CreateLedger([new BudgetPolicy("global") { CostLimit = 2m, Mode = BudgetMode.Optimistic }]);
            var largest = 0m;
            await Parallel.ForAsync(0, 64, async (caller, ct) =>
            {
                var random = new Random((round * 100) + caller);
                for (var call = 0; call < 20; call++)
                {
                    var worst = Math.Round((decimal)random.NextDouble() * 0.25m, 6);
                    var result = await ledger.ReserveAsync(GovernanceScope.Empty, worst, 0, ct);
                    if (!result.IsGranted)
                    {
                        continue;
                    }

                    lock (ledger)
                    {
                        largest = Math.Max(largest, worst);
                    }

                    await Task.Yield();
                    await ledger.SettleAsync(result.Reservation, Math.Round(worst * (decimal)random.NextDouble(), 6), 0, ct);
                }
            });

            var usage = ledger.GetUsage(GovernanceScope.Empty)[0];
            Assert.InRange(usage.Overspend, 0m, largest);
            Assert.Equal(Math.Max(0, usage.SpentCost - 2m), usage.Overspend);
        }
    }

    [SkippableFact]
    public async Task Optimistic_AdmitsOnlyWhileUnderLimit_SoOverspendIsAtMostOneCall()
    {
        var ledger = CreateLedger([new BudgetPolicy("global") { CostLimit = 1m, Mode = BudgetMode.Optimistic }]);
        var random = new Random(7);
        decimal largest = 0;
        for (var i = 0; i < 500; i++)
        {
            var cost = Math.Round((decimal)random.NextDouble() * 0.2m, 4);
            var result = await ledger.ReserveAsync(GovernanceScope.Empty, cost, 0);
            if (result.IsGranted)
            {
                largest = Math.Max(largest, cost);
                await ledger.SettleAsync(result.Reservation, cost, 0);
            }
        }

        var usage = ledger.GetUsage(GovernanceScope.Empty)[0];
        Assert.InRange(usage.Overspend, 0m, largest);
    }

    [SkippableFact]
    public async Task DayWindow_NextDay_StartsFromZero()
    {
        var time = new FakeTimeProvider(s_start);
        var ledger = CreateLedger([Tenant(1m)], timeProvider: time);
        await Spend(ledger, 0.9m);

        time.Advance(TimeSpan.FromHours(13)); // 23:00 the same day
        Assert.False((await ledger.ReserveAsync(s_acme, 0.2m, 0)).IsGranted);
        time.Advance(TimeSpan.FromHours(1)); // midnight
        Assert.True((await ledger.ReserveAsync(s_acme, 0.2m, 0)).IsGranted);
        Assert.Equal(0m, ledger.GetUsage(s_acme)[0].SpentCost);
    }

    [SkippableTheory]
    [InlineData(BudgetWindow.Minute, "2026-11-23T10:17:00Z", "2026-11-23T10:18:00Z")]
    [InlineData(BudgetWindow.Hour, "2026-11-23T10:00:00Z", "2026-11-23T11:00:00Z")]
    [InlineData(BudgetWindow.Day, "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")]
    [InlineData(BudgetWindow.Week, "2026-11-23T00:00:00Z", "2026-11-30T00:00:00Z")]
    [InlineData(BudgetWindow.Month, "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")]
    public void GetUsage_CalendarWindow_HasCalendarBounds(BudgetWindow window, string start, string end)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 17, 42, TimeSpan.Zero));
        var ledger = CreateLedger([new BudgetPolicy("p") { CostLimit = 1m, Window = window }], timeProvider: time);

        var usage = ledger.GetUsage(GovernanceScope.Empty)[0];

        Assert.Equal(DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture), usage.WindowStart);
        Assert.Equal(DateTimeOffset.Parse(end, System.Globalization.CultureInfo.InvariantCulture), usage.WindowResetsAt);
    }

    [SkippableTheory]
    [InlineData("2026-03-08T15:00:00Z", 23)] // New York springs forward
    [InlineData("2026-11-01T15:00:00Z", 25)] // New York falls back
    [InlineData("2026-06-15T15:00:00Z", 24)]
    public void GetUsage_DayWindowAcrossDst_HasLocalDayLength(string now, int hours)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse(now, System.Globalization.CultureInfo.InvariantCulture));
        var ledger = CreateLedger([new BudgetPolicy("ny") { CostLimit = 1m, TimeZoneId = "America/New_York" }], timeProvider: time);

        var usage = ledger.GetUsage(GovernanceScope.Empty)[0];

        Assert.Equal(TimeSpan.FromHours(hours), usage.WindowResetsAt - usage.WindowStart);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        Assert.Equal(TimeSpan.Zero, TimeZoneInfo.ConvertTime(usage.WindowStart!.Value, zone).TimeOfDay);
    }

    [SkippableFact]
    public async Task DayWindow_TimeZone_ResetsAtLocalMidnight()
    {
        // 2026-11-23 22:30 UTC is 2026-11-24 07:30 in Tokyo: a new Tokyo day started at 15:00 UTC.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 14, 30, 0, TimeSpan.Zero));
        var ledger = CreateLedger([new BudgetPolicy("tokyo") { CostLimit = 1m, TimeZoneId = "Asia/Tokyo" }], timeProvider: time);
        await Spend(ledger, 1m, GovernanceScope.Empty);

        time.Advance(TimeSpan.FromMinutes(31));

        Assert.Equal(0m, ledger.GetUsage(GovernanceScope.Empty)[0].SpentCost);
    }

    [SkippableFact]
    public async Task HourWindow_HalfHourZone_FollowsLocalHours()
    {
        // India is UTC+5:30, so its local hours start at :30 UTC.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 20, 0, TimeSpan.Zero));
        var ledger = CreateLedger([new BudgetPolicy("in") { CostLimit = 1m, Window = BudgetWindow.Hour, TimeZoneId = "Asia/Kolkata" }], timeProvider: time);
        await Spend(ledger, 1m, GovernanceScope.Empty);

        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 30, 0, TimeSpan.Zero), ledger.GetUsage(GovernanceScope.Empty)[0].WindowResetsAt);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0m, ledger.GetUsage(GovernanceScope.Empty)[0].SpentCost);
    }

    [SkippableFact]
    public async Task SlidingWindow_SpendAgesOut()
    {
        var time = new FakeTimeProvider(s_start);
        var ledger = CreateLedger([new BudgetPolicy("sliding") { CostLimit = 1m, Window = BudgetWindow.Sliding, SlidingWindow = TimeSpan.FromHours(24) }], timeProvider: time);
        await Spend(ledger, 0.8m, GovernanceScope.Empty);

        time.Advance(TimeSpan.FromHours(23));
        Assert.Equal(0.8m, ledger.GetUsage(GovernanceScope.Empty)[0].SpentCost);
        time.Advance(TimeSpan.FromHours(1.5));
        Assert.Equal(0m, ledger.GetUsage(GovernanceScope.Empty)[0].SpentCost);
    }

    [SkippableFact]
    public async Task ReservationLease_Expired_IsReclaimedOnce()
    {
        var time = new FakeTimeProvider(s_start);
        var ledger = CreateLedger([Tenant(1m)], new BudgetLedgerOptions { ReservationLease = TimeSpan.FromMinutes(5) }, time);
        var crashed = (await ledger.ReserveAsync(s_acme, 0.9m, 0)).Reservation;

        time.Advance(TimeSpan.FromMinutes(6));
        var next = await ledger.ReserveAsync(s_acme, 0.9m, 0);

        Assert.True(next.IsGranted);
        Assert.Equal(1, ExpiredReservations(ledger));
        Assert.Null(await ledger.SettleAsync(crashed, 0.9m, 0));
        Assert.Equal(0.9m, ledger.GetUsage(s_acme)[0].ReservedCost);
    }

    [SkippableFact]
    public async Task ThresholdCrossed_EachThreshold_FiresOncePerWindow()
    {
        var time = new FakeTimeProvider(s_start);
        var ledger = CreateLedger([Tenant(1m) with { SoftThresholds = [0.5, 0.8] }], timeProvider: time);
        var fired = new List<double>();
        ledger.ThresholdCrossed += (_, e) => fired.Add(e.Threshold);

        await Spend(ledger, 0.3m);
        await Spend(ledger, 0.3m);
        await Spend(ledger, 0.1m);
        await Spend(ledger, 0.2m);
        time.Advance(TimeSpan.FromDays(1));
        await Spend(ledger, 0.6m);

        Assert.Equal([0.5, 0.8, 0.5], fired);
    }

    [SkippableTheory]
    [InlineData("no-limit", null, null, "CostLimit")]
    [InlineData("bad-zone", 1.0, "Mars/Olympus", "TimeZoneId")]
    public void Constructor_InvalidPolicy_ThrowsNamingPolicyAndSetting(string name, double? limit, string? zone, string setting)
    {
        var policy = new BudgetPolicy(name) { CostLimit = (decimal?)limit, TimeZoneId = zone ?? "UTC" };

        var ex = Assert.Throws<ArgumentException>(() => CreateLedger([policy]));

        Assert.Contains($"'{name}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(setting, ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void Constructor_DuplicateNames_Throws() =>
        Assert.Throws<ArgumentException>(() => CreateLedger([Tenant(1m), Tenant(2m)]));

    [SkippableFact]
    public async Task GetUtilization_TightestBudget_IsReported()
    {
        var ledger = CreateLedger([Tenant(10m), new BudgetPolicy("feature") { Level = ScopeLevel.Feature, CostLimit = 1m }]);
        await ledger.ReserveAsync(s_acme, 0.75m, 0);

        Assert.Equal(0.75, ledger.GetUtilization(s_acme), 6);
    }

    protected static async Task Spend(IBudgetLedger ledger, decimal amount, GovernanceScope? scope = null)
    {
        var r = await ledger.ReserveAsync(scope ?? s_acme, amount, 0);
        Assert.True(r.IsGranted);
        await ledger.SettleAsync(r.Reservation, amount, 0);
    }
}
