using System.Text.RegularExpressions;

namespace TokenGovernor.Tests.Reporting;

public partial class GovernanceReportTests
{
    internal static GovernanceReport Sample()
    {
        var report = new GovernanceReport("Test report");
        var start = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < 10; i++)
        {
            report.Record(new GovernanceRecord
            {
                Timestamp = start.AddMinutes(30 * i),
                Scope = new GovernanceScope { Tenant = "acme", Feature = i < 6 ? "support-bot" : "coding-agent" },
                ModelId = i < 6 ? "gpt-4o-mini" : "o4-mini",
                Cost = new CostBreakdown(0.0100m, 0, 0, 0.0025m, 0),
                Cache = i == 3 ? CacheStatus.Exact : CacheStatus.None,
                CostAvoided = i == 3 ? 0.0125m : 0,
                Routing = new RoutingDecision("gpt-4o", i < 6 ? "Small" : "Reasoning", i < 6 ? "gpt-4o-mini" : "o4-mini", 0.2, [], 0, 0.0500m),
            });
        }

        report.AddSaving("budgets", 0.25m, "burst against a budget");
        report.AddCacheLookups(0, 9);
        return report;
    }

    [Fact]
    public void ToHtml_Records_ShowTotalsByFeatureModelAndMechanism()
    {
        var html = Sample().ToHtml();

        Assert.Contains("$0.1250", html, StringComparison.Ordinal); // 10 calls × $0.0125
        Assert.Contains("support-bot", html, StringComparison.Ordinal);
        Assert.Contains("o4-mini", html, StringComparison.Ordinal);
        Assert.Contains("budgets", html, StringComparison.Ordinal);
        Assert.Contains("10.0 %", html, StringComparison.Ordinal); // 1 hit of 10 lookups
        Assert.Contains("Reasoning", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_Always_HasNoExternalAssets()
    {
        var html = Sample().ToHtml();

        Assert.DoesNotMatch(ExternalReference(), html);
        Assert.Contains("<svg", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ToHtml_LabelsWithMarkup_AreEncoded()
    {
        var report = new GovernanceReport("<script>alert(1)</script>");
        report.AddSaving("<b>x</b>", 1m);

        var html = report.ToHtml();

        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;b&gt;x&lt;/b&gt;", html, StringComparison.Ordinal);
    }

    [GeneratedRegex("(src|href)\\s*=\\s*\"(https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();
}
