using System.Diagnostics;
using System.Text.RegularExpressions;
using TokenGovernor.Sqlite;

namespace TokenGovernor.IntegrationTests;

/// <summary>The report built from a real spend store, rendered by headless Chromium at 1,400 px and at 800 px.</summary>
public sealed partial class StoreReportRenderingTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("tg-store-report-");

    [SkippableFact]
    public async Task FromStoreAsync_RenderedAt1400And800_ShowsEveryViewWithScalableCharts()
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);
        Skip.If(chromium is null && Environment.GetEnvironmentVariable("TOKENGOVERNOR_REQUIRE_CHROMIUM") != "1",
            "Report rendering test skipped: no Chromium found. Install it (apt-get install -y chromium) to run it.");
        Assert.NotNull(chromium);
        var db = Path.Combine(_dir.FullName, "governance.db");
        using (var store = new SqliteSpendStore(db))
        {
            await store.WriteAsync(Traffic());
        }

        GovernanceReport report;
        using (var store = new SqliteSpendStore(db))
        {
            report = await GovernanceReport.FromStoreAsync(store, "Store report");
        }

        report.AddSaving("loop guard", 9.99m, "a separate experiment");
        var page = Path.Combine(_dir.FullName, "report.html");
        await File.WriteAllTextAsync(page, report.ToHtml());

        var dom = await RunAsync(chromium!, "--dump-dom", new Uri(page).AbsoluteUri);
        foreach (var width in new[] { 1400, 800 })
        {
            var png = Path.Combine(Environment.GetEnvironmentVariable("TOKENGOVERNOR_SCREENSHOTS") ?? _dir.FullName, $"store-report-{width}.png");
            await RunAsync(chromium!, $"--screenshot={png}", $"--window-size={width},2200", new Uri(page).AbsoluteUri);
            Assert.True(new FileInfo(png).Length > 20_000, $"the {width} px screenshot should show a rendered page");
        }

        Assert.Contains("$12.00", dom, StringComparison.Ordinal);     // total spend: 24 calls × $0.50
        Assert.Contains("$8.00", dom, StringComparison.Ordinal);      // acme
        Assert.Contains("$4.00", dom, StringComparison.Ordinal);      // globex
        Assert.Contains("$3.20", dom, StringComparison.Ordinal);    // saved = exact cache $1.20 + routing $2.00, from this traffic only
        Assert.Contains("$9.99", dom, StringComparison.Ordinal);      // the separate experiment, in its own card
        Assert.DoesNotContain("$13.19", dom, StringComparison.Ordinal); // and never added to the headline
        Assert.Contains("budget-exhausted", dom, StringComparison.Ordinal);
        Assert.Contains("cap-output", dom, StringComparison.Ordinal);
        Assert.Contains("2026-11-23 08:00", dom, StringComparison.Ordinal); // a bar's hover title names its time
        var svgs = SvgTag().Matches(dom).Select(m => m.Value).ToList();
        Assert.True(svgs.Count >= 8, $"{svgs.Count} charts");
        Assert.All(svgs, svg => Assert.Contains("viewBox=", svg, StringComparison.Ordinal));
        Assert.All(svgs, svg => Assert.DoesNotContain(" width=", svg, StringComparison.Ordinal));
    }

    public void Dispose() => _dir.Delete(recursive: true);

    [GeneratedRegex("<svg[^>]*>")]
    private static partial Regex SvgTag();

    private static List<GovernanceRecord> Traffic()
    {
        var start = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
        var list = new List<GovernanceRecord>();
        for (var i = 0; i < 24; i++)
        {
            list.Add(new GovernanceRecord
            {
                Timestamp = start.AddMinutes(20 * i),
                Scope = new GovernanceScope { Tenant = i % 3 == 2 ? "globex" : "acme", Feature = i % 2 == 0 ? "support-bot" : "coding-agent" },
                ModelId = i % 2 == 0 ? "gpt-4o-mini" : "o4-mini",
                Cost = new CostBreakdown(0.25m, 0, 0, 0.25m, 0),
                BudgetUtilization = i / 24.0 * 1.1,
                Degradations = i >= 18 ? ["cap-output"] : [],
                Routing = i < 4 ? new RoutingDecision("gpt-4o", "Small", "gpt-4o-mini", 0.2, ["short"], 0, 1m) : null,
            });
        }

        list.Add(new GovernanceRecord
        {
            Timestamp = start.AddHours(8),
            Scope = new GovernanceScope { Tenant = "acme", Feature = "support-bot" },
            Cache = CacheStatus.Exact,
            CostAvoided = 1.2m,
        });
        list.Add(new GovernanceRecord
        {
            Timestamp = start.AddHours(8).AddMinutes(1),
            Scope = new GovernanceScope { Tenant = "acme", Feature = "support-bot" },
            BudgetUtilization = 1.0,
            Refusal = "budget-exhausted",
            Degradations = ["cap-output", "budget-exhausted"],
        });
        return list;
    }

    private async Task<string> RunAsync(string chromium, params string[] args)
    {
        var info = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars", $"--user-data-dir={_dir.FullName}/chrome" }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
