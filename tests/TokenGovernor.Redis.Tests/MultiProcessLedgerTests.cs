using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace TokenGovernor.Redis.Tests;

/// <summary>Separate OS processes, each with its own connection, against one budget in one Redis.</summary>
[Collection(TimingSensitiveCollection.Name)]
public class MultiProcessLedgerTests(ITestOutputHelper output)
{
    private readonly ITestOutputHelper _output = output;

    // Four worker processes with default ledger options, 16 callers each, on this (shared, loaded) machine: the budget is
    // contended, never overspent, every settle is counted, and no call is refused because the ledger seemed unavailable.
    [SkippableTheory]
    [InlineData(BudgetWindow.Day)]
    [InlineData(BudgetWindow.Lifetime)]
    public async Task Strict_FourProcessesSixteenCallersEach_NeverOverspendNoUnavailableRefusals(BudgetWindow window)
    {
        var redis = RedisFixture.Shared;
        var prefix = redis.NewPrefix("multi-" + window);
        const decimal limit = 5m;
        var workers = Enumerable.Range(0, 4).Select(i => StartWorker("spend", redis.Endpoint, prefix, "5", "16", "40", i.ToString(CultureInfo.InvariantCulture), window.ToString())).ToArray();

        var outputs = await Task.WhenAll(workers.Select(ReadToEndAsync));

        decimal settled = 0;
        long granted = 0, denied = 0, unavailable = 0;
        foreach (var line in outputs.Select(o => o.Split('\n').Last(l => l.StartsWith("done", StringComparison.Ordinal)).Split(' ')))
        {
            granted += long.Parse(line[1], CultureInfo.InvariantCulture);
            denied += long.Parse(line[2], CultureInfo.InvariantCulture);
            settled += decimal.Parse(line[3], CultureInfo.InvariantCulture);
            unavailable += long.Parse(line[4], CultureInfo.InvariantCulture);
        }

        _output.WriteLine($"{window}: granted {granted}, denied (budget) {denied}, refused as ledger-unavailable {unavailable}, settled {settled}");
        var ledger = new RedisBudgetLedger(redis.Connection, [new BudgetPolicy("global") { CostLimit = limit, Window = window }], new RedisBudgetLedgerOptions { KeyPrefix = prefix });
        var usage = ledger.GetUsage(GovernanceScope.Empty)[0];
        Assert.Equal(0, unavailable);
        Assert.True(denied > 0, "the budget must have been contended for the test to mean anything");
        Assert.True(usage.SpentCost <= limit, $"spent {usage.SpentCost} of {limit}");
        Assert.Equal(settled, usage.SpentCost);
        Assert.Equal(0m, usage.ReservedCost);
        Assert.Equal(0, await ledger.CountOpenReservationsAsync());
        Assert.Equal(4 * 16 * 40, granted + denied + unavailable);
    }

    [SkippableFact]
    public async Task ProcessKilledMidReservation_HoldIsReclaimedAfterLease()
    {
        var redis = RedisFixture.Shared;
        var prefix = redis.NewPrefix("kill");
        using var worker = StartWorker("hold", redis.Endpoint, prefix, "1", "30", "0.8");
        var line = await worker.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("reserved", line, StringComparison.Ordinal);
        worker.Kill(entireProcessTree: true);
        await worker.WaitForExitAsync();

        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var ledger = new RedisBudgetLedger(redis.Connection, [new BudgetPolicy("global") { CostLimit = 1m }],
            new RedisBudgetLedgerOptions { KeyPrefix = prefix, ReservationLease = TimeSpan.FromSeconds(30) }, time);
        Assert.False((await ledger.ReserveAsync(GovernanceScope.Empty, 0.5m, 0)).IsGranted);

        time.Advance(TimeSpan.FromSeconds(31));
        var after = await ledger.ReserveAsync(GovernanceScope.Empty, 0.5m, 0);

        Assert.True(after.IsGranted);
        Assert.Equal(1, ledger.ExpiredReservations);
        Assert.Equal(0.5m, ledger.GetUsage(GovernanceScope.Empty)[0].ReservedCost);
    }

    [SkippableFact]
    public async Task Strict_FourConnectionsSixteenCallersEach_NeverOverspend()
    {
        var redis = RedisFixture.Shared;
        var prefix = redis.NewPrefix("conns");
        var policy = new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 2m };
        var connections = Enumerable.Range(0, 4).Select(_ => StackExchange.Redis.ConnectionMultiplexer.Connect(redis.Endpoint)).ToArray();
        try
        {
            var ledgers = connections.Select(c => new RedisBudgetLedger(c, [policy], new RedisBudgetLedgerOptions { KeyPrefix = prefix, OperationTimeout = TimeSpan.FromSeconds(5) })).ToArray();
            decimal settled = 0;
            var gate = new object();
            await Parallel.ForAsync(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (caller, ct) =>
            {
                var ledger = ledgers[caller % 4];
                var random = new Random(caller);
                var scope = new GovernanceScope { Tenant = "acme" };
                for (var i = 0; i < 25; i++)
                {
                    var worst = Math.Round((decimal)random.NextDouble() * 0.05m, 6);
                    var r = await ledger.ReserveAsync(scope, worst, 0, ct);
                    if (r.IsGranted && await ledger.SettleAsync(r.Reservation, worst, 0, ct) is not null)
                    {
                        lock (gate)
                        {
                            settled += worst;
                        }
                    }
                }
            });

            var usage = ledgers[0].GetUsage(new GovernanceScope { Tenant = "acme" })[0];
            Assert.True(usage.SpentCost <= 2m, $"spent {usage.SpentCost}");
            Assert.Equal(settled, usage.SpentCost);
        }
        finally
        {
            foreach (var c in connections)
            {
                c.Dispose();
            }
        }
    }

    private static Process StartWorker(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "TokenGovernor.Redis.Worker", "bin",
            new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name, "net10.0", "TokenGovernor.Redis.Worker.dll");
        Assert.True(File.Exists(dll), $"worker not built at {dll}");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        return Process.Start(info)!;
    }

    private static async Task<string> ReadToEndAsync(Process process)
    {
        using (process)
        {
            var output = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(2));
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, $"worker failed: {error}");
            return output;
        }
    }
}
