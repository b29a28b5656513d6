using Microsoft.Extensions.Time.Testing;

namespace TokenGovernor.Testing;

#pragma warning disable CA1707, CA2007 // test names
/// <summary>Request limits (<see cref="BudgetPolicy.RequestLimit"/>): the same promises from every ledger.</summary>
public abstract partial class BudgetLedgerContractTests
{
    // 10:00:20 UTC: 40 seconds before the end of the minute, on no sliding bucket edge of a 60-minute window but 20 s into one.
    private static readonly DateTimeOffset s_rateStart = new(2026, 11, 23, 10, 0, 20, TimeSpan.Zero);

    private static BudgetPolicy Rpm(long limit, BudgetWindow window = BudgetWindow.Minute) =>
        new("tenant-rpm") { Level = ScopeLevel.Tenant, RequestLimit = limit, Window = window };

    [SkippableFact]
    public async Task ReserveAsync_RequestLimitReached_DeniesNamingPolicyWithRetryAfter()
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(3)], timeProvider: time);
        for (var i = 0; i < 3; i++)
        {
            Assert.True((await ledger.ReserveAsync(s_acme, 0.01m, 10)).IsGranted);
        }

        var result = await ledger.ReserveAsync(s_acme, 0.01m, 10);

        Assert.False(result.IsGranted);
        var denial = result.Denial!;
        Assert.True(denial.IsRequestLimit);
        Assert.False(denial.IsTokenLimit);
        Assert.Equal("tenant-rpm", denial.Policy.Name);
        Assert.Equal("acme", denial.Key);
        Assert.Equal(3m, denial.Limit);
        Assert.Equal(3m, denial.Spent);
        Assert.Equal(0m, denial.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(40), denial.RetryAfter);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 10, 1, 0, TimeSpan.Zero), denial.WindowResetsAt);
        Assert.Equal(3, ledger.GetUsage(s_acme)[0].Requests);
    }

    [SkippableTheory]
    [InlineData(BudgetWindow.Minute, 40)]
    [InlineData(BudgetWindow.Hour, 3580)]
    [InlineData(BudgetWindow.Day, 50380)]
    public async Task ReserveAsync_RequestLimitCalendarWindow_RetryAfterIsTimeToWindowEnd(BudgetWindow window, int seconds)
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(1, window)], timeProvider: time);
        Assert.True((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);

        var denial = (await ledger.ReserveAsync(s_acme, 0, 0)).Denial!;

        Assert.Equal(TimeSpan.FromSeconds(seconds), denial.RetryAfter);
    }

    [SkippableFact]
    public async Task ReleaseAsync_RequestLimit_GivesTheRequestBack()
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(2)], timeProvider: time);
        var first = (await ledger.ReserveAsync(s_acme, 0.01m, 10)).Reservation;
        Assert.True((await ledger.ReserveAsync(s_acme, 0.01m, 10)).IsGranted);

        Assert.True(await ledger.ReleaseAsync(first));
        Assert.False(await ledger.ReleaseAsync(first)); // a second release gives nothing back again

        Assert.Equal(1, ledger.GetUsage(s_acme)[0].Requests);
        Assert.True((await ledger.ReserveAsync(s_acme, 0.01m, 10)).IsGranted);
        Assert.True((await ledger.ReserveAsync(s_acme, 0.01m, 10)).Denial!.IsRequestLimit);
    }

    [SkippableFact]
    public async Task SettleAsync_RequestLimit_KeepsTheRequestCounted()
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(1)], timeProvider: time);
        var r = (await ledger.ReserveAsync(s_acme, 0.01m, 10)).Reservation;

        await ledger.SettleAsync(r, 0.005m, 5);
        Assert.False(await ledger.ReleaseAsync(r)); // already settled: the request stays counted

        Assert.Equal(1, ledger.GetUsage(s_acme)[0].Requests);
        Assert.True((await ledger.ReserveAsync(s_acme, 0, 0)).Denial!.IsRequestLimit);
    }

    [SkippableFact]
    public async Task ReserveAsync_RequestLimitNextWindow_StartsFromZero()
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(2)], timeProvider: time);
        var held = (await ledger.ReserveAsync(s_acme, 0, 0)).Reservation; // still in flight at the boundary
        await Spend(ledger, 0, s_acme);
        Assert.False((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);

        time.Advance(TimeSpan.FromSeconds(39));
        Assert.False((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);
        time.Advance(TimeSpan.FromSeconds(1)); // 10:01:00

        Assert.Equal(0, ledger.GetUsage(s_acme)[0].Requests);
        Assert.True((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);
        Assert.True(await ledger.ReleaseAsync(held)); // counted in the last window: gives nothing back in this one
        Assert.Equal(1, ledger.GetUsage(s_acme)[0].Requests);
        Assert.True((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);
        Assert.False((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);
    }

    [SkippableFact]
    public async Task ReserveAsync_RequestLimitSlidingWindow_SlotFreesWhenOldestRequestLeaves()
    {
        // A 60-minute sliding window has one-minute buckets; the first request is counted in the 10:00 bucket.
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(2, BudgetWindow.Sliding) with { SlidingWindow = TimeSpan.FromHours(1) }], timeProvider: time);
        await Spend(ledger, 0, s_acme);
        time.Advance(TimeSpan.FromMinutes(10)); // 10:10:20
        await Spend(ledger, 0, s_acme);
        time.Advance(TimeSpan.FromMinutes(10)); // 10:20:20

        var denied = (await ledger.ReserveAsync(s_acme, 0, 0)).Denial!;

        Assert.True(denied.IsRequestLimit);
        Assert.Equal(TimeSpan.FromMinutes(40) - TimeSpan.FromSeconds(20), denied.RetryAfter); // the 10:00 bucket leaves at 11:00
        time.Advance(denied.RetryAfter!.Value - TimeSpan.FromSeconds(1));
        Assert.False((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);
        time.Advance(TimeSpan.FromSeconds(1)); // 11:00:00
        Assert.Equal(1, ledger.GetUsage(s_acme)[0].Requests);
        Assert.True((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);
        Assert.Equal(TimeSpan.FromMinutes(10), (await ledger.ReserveAsync(s_acme, 0, 0)).Denial!.RetryAfter); // the 10:10 bucket leaves at 11:10
    }

    [SkippableFact]
    public async Task ReleaseAsync_RequestLimitSlidingWindow_GivesTheRequestBack()
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(1, BudgetWindow.Sliding) with { SlidingWindow = TimeSpan.FromHours(1) }], timeProvider: time);
        var r = (await ledger.ReserveAsync(s_acme, 0, 0)).Reservation;
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.False((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);

        Assert.True(await ledger.ReleaseAsync(r));

        Assert.Equal(0, ledger.GetUsage(s_acme)[0].Requests);
        Assert.True((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);
    }

    [SkippableFact]
    public async Task ReserveAsync_RequestLimitLifetimeWindow_DeniesWithoutRetryAfter()
    {
        var ledger = CreateLedger([Rpm(2, BudgetWindow.Lifetime)]);
        await Spend(ledger, 0, s_acme);
        var held = (await ledger.ReserveAsync(s_acme, 0, 0)).Reservation;

        var denial = (await ledger.ReserveAsync(s_acme, 0, 0)).Denial!;

        Assert.True(denial.IsRequestLimit);
        Assert.Null(denial.RetryAfter);
        Assert.True(await ledger.ReleaseAsync(held));
        Assert.True((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);
    }

    [SkippableFact]
    public async Task ReserveAsync_RequestLimitManyParallelCallers_GrantsExactlyTheLimit()
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(10), new BudgetPolicy("global-rph") { RequestLimit = 1_000, Window = BudgetWindow.Hour }], timeProvider: time);
        var granted = 0;
        var denied = 0;

        await Parallel.ForAsync(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (_, ct) =>
        {
            var result = await ledger.ReserveAsync(s_acme, 0.01m, 10, ct);
            Interlocked.Increment(ref result.IsGranted ? ref granted : ref denied);
        });

        Assert.Equal(10, granted);
        Assert.Equal(54, denied);
        var usage = ledger.GetUsage(s_acme);
        Assert.All(usage, u => Assert.Equal(10, u.Requests)); // all or none: the refused 54 counted in neither policy
        Assert.Equal(10, await OpenReservationsAsync(ledger));
    }

    [SkippableFact]
    public async Task ReserveAsync_CostBudgetFullBesideRequestLimit_CountsNoRequest()
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(5), Tenant(1m)], timeProvider: time);

        var result = await ledger.ReserveAsync(s_acme, 2m, 0);

        Assert.False(result.IsGranted);
        Assert.False(result.Denial!.IsRequestLimit);
        Assert.All(ledger.GetUsage(s_acme), u => Assert.Equal(0, u.Requests));
    }

    [SkippableFact]
    public async Task ReserveAsync_RequestLimitFullBesideCostBudget_HoldsNoCost()
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(1), Tenant(10m)], timeProvider: time);
        await Spend(ledger, 1m, s_acme);

        var result = await ledger.ReserveAsync(s_acme, 1m, 100);

        Assert.True(result.Denial!.IsRequestLimit);
        var cost = ledger.GetUsage(s_acme).Single(u => u.Policy.Name == "tenant-daily");
        Assert.Equal(0m, cost.ReservedCost);
        Assert.Equal(0, cost.ReservedTokens);
        Assert.Equal(1, cost.Requests);
    }

    [SkippableFact]
    public async Task ReserveAsync_RequestLimitEachTenant_CountsSeparately()
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(1)], timeProvider: time);
        await Spend(ledger, 0, s_acme);

        Assert.True((await ledger.ReserveAsync(s_acme with { Tenant = "globex" }, 0, 0)).IsGranted);
        Assert.False((await ledger.ReserveAsync(s_acme, 0, 0)).IsGranted);
    }

    [SkippableFact]
    public async Task ReservationLease_ExpiredUnderRequestLimit_GivesTheRequestBack()
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(1, BudgetWindow.Hour)], new BudgetLedgerOptions { ReservationLease = TimeSpan.FromMinutes(5) }, time);
        var crashed = (await ledger.ReserveAsync(s_acme, 0.1m, 0)).Reservation;
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.False((await ledger.ReserveAsync(s_acme, 0.1m, 0)).IsGranted);

        time.Advance(TimeSpan.FromMinutes(5));
        var next = await ledger.ReserveAsync(s_acme, 0.1m, 0);

        Assert.True(next.IsGranted);
        Assert.Equal(1, ExpiredReservations(ledger));
        Assert.Null(await ledger.SettleAsync(crashed, 0.1m, 0));
        Assert.Equal(1, ledger.GetUsage(s_acme)[0].Requests);
    }

    [SkippableFact]
    public async Task GetUsage_PolicyWithoutRequestLimit_StillCountsRequests()
    {
        var ledger = CreateLedger([Tenant(10m)]);
        await Spend(ledger, 0.1m);
        var released = (await ledger.ReserveAsync(s_acme, 0.1m, 0)).Reservation;
        await ledger.ReleaseAsync(released);
        await ledger.ReserveAsync(s_acme, 0.1m, 0);

        Assert.Equal(2, ledger.GetUsage(s_acme)[0].Requests);
    }

    [SkippableFact]
    public async Task GetUtilization_RequestLimitFull_IsNotPartOfUtilization()
    {
        var time = new FakeTimeProvider(s_rateStart);
        var ledger = CreateLedger([Rpm(1)], timeProvider: time);
        await Spend(ledger, 0, s_acme);

        Assert.Equal(0, ledger.GetUtilization(s_acme));
        Assert.Equal(0, ledger.GetUsage(s_acme)[0].Utilization);
    }

    [SkippableFact]
    public void Constructor_RequestLimitOnly_IsValid() =>
        Assert.Single(CreateLedger([Rpm(60)]).Policies);

    [SkippableTheory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Constructor_RequestLimitBelowOne_ThrowsNamingPolicyAndRequestLimit(long limit)
    {
        var ex = Assert.Throws<ArgumentException>(() => CreateLedger([Rpm(limit)]));

        Assert.Contains("'tenant-rpm'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("RequestLimit", ex.Message, StringComparison.Ordinal);
    }
}
