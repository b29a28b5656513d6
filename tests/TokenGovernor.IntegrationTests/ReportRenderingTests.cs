using System.Diagnostics;

namespace TokenGovernor.IntegrationTests;

/// <summary>The HTML report rendered by a real browser (Debian's headless Chromium): the numbers are on the page.</summary>
public class ReportRenderingTests
{
    [SkippableFact]
    public async Task GovernanceReport_RenderedByHeadlessChromium_ShowsTheNumbers()
    {
        var chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome" }.FirstOrDefault(File.Exists);
        Skip.If(chromium is null && Environment.GetEnvironmentVariable("TOKENGOVERNOR_REQUIRE_CHROMIUM") != "1",
            "Report rendering test skipped: no Chromium found. Install it (apt-get install -y chromium) to run it.");
        Assert.NotNull(chromium);
        var report = new GovernanceReport("Rendering test");
        var start = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 8; i++)
        {
            report.Record(new GovernanceRecord
            {
                Timestamp = start.AddHours(i),
                Scope = new GovernanceScope { Feature = i % 2 == 0 ? "support-bot" : "coding-agent" },
                ModelId = i % 2 == 0 ? "gpt-4o-mini" : "o4-mini",
                Cost = new CostBreakdown(0.5m, 0, 0, 0.25m, 0),
            });
        }

        report.AddSaving("caching", 1.5m);
        var dir = Directory.CreateTempSubdirectory("tg-report-");
        try
        {
            var page = Path.Combine(dir.FullName, "governance-report.html");
            var png = Path.Combine(dir.FullName, "report.png");
            await File.WriteAllTextAsync(page, report.ToHtml());

            var dom = await RunAsync(chromium!, dir.FullName, "--dump-dom", new Uri(page).AbsoluteUri);
            await RunAsync(chromium!, dir.FullName, $"--screenshot={png}", "--window-size=1400,1000", new Uri(page).AbsoluteUri);

            Assert.Contains("$6.00", dom, StringComparison.Ordinal);       // total spend: 8 × $0.75
            Assert.Contains("$3.00", dom, StringComparison.Ordinal);       // each feature
            Assert.Contains("$1.50", dom, StringComparison.Ordinal);       // saved
            Assert.Contains("coding-agent", dom, StringComparison.Ordinal);
            Assert.Equal(5, CountOccurrences(dom, "<svg"));              // spend over time, by tenant, feature, model; savings measured separately
            Assert.Equal(5, CountOccurrences(dom, "No data."));           // no budgets, degradations, recorded savings, cache lookups or routing
            Assert.True(new FileInfo(png).Length > 10_000, "the screenshot should show a rendered page");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static int CountOccurrences(string text, string value) => (text.Length - text.Replace(value, string.Empty, StringComparison.Ordinal).Length) / value.Length;

    private static async Task<string> RunAsync(string chromium, string profile, params string[] args)
    {
        var info = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--user-data-dir={profile}/chrome" }.Concat(args))
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
