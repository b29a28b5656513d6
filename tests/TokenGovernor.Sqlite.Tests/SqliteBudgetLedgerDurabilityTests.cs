using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace TokenGovernor.Sqlite.Tests;

/// <summary>What survives a restart and a real <c>kill -9</c> of a worker process that uses the ledger's file.</summary>
public sealed class SqliteBudgetLedgerDurabilityTests : IDisposable
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private static readonly GovernanceScope s_acme = new() { Tenant = "acme" };
    private readonly TempDatabase _files = new();

    private static BudgetPolicy Global(decimal limit) => new("global") { CostLimit = limit, Window = BudgetWindow.Day };

    [Fact]
    public async Task Restart_SameFile_ContinuesTheWindow()
    {
        var path = _files.NewPath();
        var time = new FakeTimeProvider(s_start);
        using (var first = new SqliteBudgetLedger(path, [Global(1m)], timeProvider: time))
        {
            var r = await first.ReserveAsync(s_acme, 0.7m, 100);
            await first.SettleAsync(r.Reservation, 0.6m, 80);
        }

        time.Advance(TimeSpan.FromHours(1));
        using var restarted = new SqliteBudgetLedger(path, [Global(1m)], timeProvider: time);

        Assert.Equal(0.6m, restarted.GetUsage(s_acme)[0].SpentCost);
        Assert.Equal(80, restarted.GetUsage(s_acme)[0].SpentTokens);
        Assert.False((await restarted.ReserveAsync(s_acme, 0.5m, 0)).IsGranted);
        Assert.True((await restarted.ReserveAsync(s_acme, 0.4m, 0)).IsGranted);
    }

    [Fact]
    public async Task Restart_NextDay_StartsANewWindowAndKeepsTheOld()
    {
        var path = _files.NewPath();
        var time = new FakeTimeProvider(s_start);
        using (var first = new SqliteBudgetLedger(path, [Global(1m)], timeProvider: time))
        {
            var r = await first.ReserveAsync(s_acme, 1m, 0);
            await first.SettleAsync(r.Reservation, 1m, 0);
        }

        time.Advance(TimeSpan.FromDays(1));
        using var restarted = new SqliteBudgetLedger(path, [Global(1m)], timeProvider: time);

        Assert.Equal(0m, restarted.GetUsage(s_acme)[0].SpentCost);
        Assert.True((await restarted.ReserveAsync(s_acme, 1m, 0)).IsGranted);
    }

    [Fact]
    public async Task TwoLedgersOneFile_ShareTheBudget()
    {
        var path = _files.NewPath();
        var time = new FakeTimeProvider(s_start);
        using var a = new SqliteBudgetLedger(path, [Global(1m)], timeProvider: time);
        using var b = new SqliteBudgetLedger(path, [Global(1m)], timeProvider: time);

        Assert.True((await a.ReserveAsync(s_acme, 0.6m, 0)).IsGranted);

        Assert.False((await b.ReserveAsync(s_acme, 0.6m, 0)).IsGranted);
        Assert.Equal(0.6m, b.GetUsage(s_acme)[0].ReservedCost);
    }

    [Fact]
    public async Task KillDuringSpending_NoAcknowledgedSettleIsLost()
    {
        var path = _files.NewPath();
        using var worker = StartWorker("spend", path, s_start.UtcTicks.ToString(CultureInfo.InvariantCulture), "1000");
        var acknowledged = 0;
        while (acknowledged < 40)
        {
            var line = await worker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.NotNull(line);
            Assert.StartsWith("settled", line, StringComparison.Ordinal);
            acknowledged = int.Parse(line["settled ".Length..], CultureInfo.InvariantCulture);
        }

        worker.Kill(entireProcessTree: true); // SIGKILL: no finalizers, no dispose, the connection is never closed
        await worker.WaitForExitAsync();

        var time = new FakeTimeProvider(s_start);
        using var ledger = new SqliteBudgetLedger(path, [Global(1000m)], timeProvider: time);
        var usage = ledger.GetUsage(s_acme)[0];
        // Every settle the worker printed is in the file; it may have committed a few more before the kill landed.
        Assert.True(usage.SpentCost >= acknowledged * 0.01m, $"spent {usage.SpentCost}, acknowledged {acknowledged}");
        Assert.Equal(0m, usage.SpentCost % 0.01m);
        Assert.Equal(usage.SpentCost * 1000, usage.SpentTokens);
        // At most the one call it was in the middle of is still held, and only until its lease ends.
        Assert.True(usage.ReservedCost is 0m or 0.02m, $"reserved {usage.ReservedCost}");
        Assert.True(ledger.CountOpenReservations() <= 1);
    }

    [Fact]
    public async Task KillMidReservation_HoldIsReclaimedAfterLeaseAndSpendKept()
    {
        var path = _files.NewPath();
        using var worker = StartWorker("hold", path, s_start.UtcTicks.ToString(CultureInfo.InvariantCulture), "1", "30", "0.8");
        var line = await worker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.StartsWith("reserved", line, StringComparison.Ordinal);
        worker.Kill(entireProcessTree: true);
        await worker.WaitForExitAsync();

        var time = new FakeTimeProvider(s_start + TimeSpan.FromSeconds(10));
        using var ledger = new SqliteBudgetLedger(path, [Global(1m)], new SqliteBudgetLedgerOptions { ReservationLease = TimeSpan.FromSeconds(30) }, time);
        Assert.Equal(0.8m, ledger.GetUsage(s_acme)[0].ReservedCost);
        Assert.False((await ledger.ReserveAsync(s_acme, 0.5m, 0)).IsGranted);

        time.Advance(TimeSpan.FromSeconds(21));
        var after = await ledger.ReserveAsync(s_acme, 0.5m, 0);

        Assert.True(after.IsGranted);
        Assert.Equal(1, ledger.ExpiredReservations);
        var usage = ledger.GetUsage(s_acme)[0];
        Assert.Equal(0.01m, usage.SpentCost);
        Assert.Equal(0.5m, usage.ReservedCost);
    }

    [Fact]
    public async Task UseSqliteLedger_ReplacesTheInMemoryLedger()
    {
        var path = _files.NewPath();
        var services = new ServiceCollection();
        services.AddTokenGovernor(configure: o => o.Budgets.Add(Global(2m))).UseSqliteLedger(path);
        await using var provider = services.BuildServiceProvider();

        var ledger = Assert.IsType<SqliteBudgetLedger>(provider.GetRequiredService<IBudgetLedger>());

        Assert.Equal(path, ledger.DatabasePath);
        Assert.Equal("global", Assert.Single(ledger.Policies).Name);
    }

    [Fact]
    public void UseSqliteLedger_InvalidLease_ThrowsNamingTheSetting()
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<ArgumentException>(() => services.AddTokenGovernor().UseSqliteLedger(_files.NewPath(), o => o.ReservationLease = TimeSpan.Zero));

        Assert.Contains("ReservationLease", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _files.Dispose();

    private static Process StartWorker(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "TokenGovernor.Sqlite.Worker", "bin",
            new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "TokenGovernor.Sqlite.Worker.dll");
        Assert.True(File.Exists(dll), $"worker not built at {dll}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info)!;
    }
}
