using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Diagnostics;

/// <summary>docs/grafana-dashboard.json names only metrics that a governed pipeline really records.</summary>
public sealed partial class GrafanaDashboardTests
{
    [Fact]
    public async Task Dashboard_EveryMetricItQueries_IsRecordedByAGovernedPipeline()
    {
        var path = RepoFile("docs", "grafana-dashboard.json");
        using var doc = JsonDocument.Parse(await File.ReadAllTextAsync(path));
        var queried = doc.RootElement.GetProperty("panels").EnumerateArray()
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .Select(t => LabelMatchers().Replace(GroupingClause().Replace(t.GetProperty("expr").GetString()!, string.Empty), "{}"))
            .SelectMany(expr => MetricName().Matches(expr).Select(m => m.Value))
            .ToHashSet(StringComparer.Ordinal);
        Assert.True(queried.Count >= 6, $"the dashboard names {queried.Count} metrics");

        var recorded = await RecordedInstrumentsAsync();

        // Prometheus names: dots become underscores, unit "1" adds _ratio, counters end in _total, histograms in _bucket/_sum/_count.
        foreach (var metric in queried)
        {
            var baseName = SeriesSuffix().Replace(metric, string.Empty);
            Assert.True(recorded.Contains(baseName) || (baseName.EndsWith("_ratio", StringComparison.Ordinal) && recorded.Contains(baseName[..^"_ratio".Length])),
                $"{metric} is not recorded; recorded: {string.Join(", ", recorded.Order(StringComparer.Ordinal))}");
        }
    }

    private static string RepoFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TokenGovernor.sln")))
            {
                return Path.Combine([dir.FullName, .. parts]);
            }
        }

        throw new FileNotFoundException("repository root not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex("(token_governor|gen_ai)_[a-z_]+(?=[\\[{ )]|$)")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"by \([^)]*\)")]
    private static partial Regex GroupingClause();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex LabelMatchers();

    [GeneratedRegex("_(total|bucket|sum|count)$")]
    private static partial Regex SeriesSuffix();

    private static async Task<HashSet<string>> RecordedInstrumentsAsync()
    {
        var recorded = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name is TokenGovernorDiagnostics.MeterName or "Experimental.Microsoft.Extensions.AI")
                {
                    l.EnableMeasurementEvents(i);
                }
            },
        };
        void Seen(Instrument i)
        {
            lock (recorded)
            {
                recorded.Add(i.Name.Replace('.', '_'));
            }
        }

        listener.SetMeasurementEventCallback<long>((i, _, _, _) => Seen(i));
        listener.SetMeasurementEventCallback<int>((i, _, _, _) => Seen(i));
        listener.SetMeasurementEventCallback<double>((i, _, _, _) => Seen(i));
        listener.Start();

        var services = new ServiceCollection();
        services.AddTokenGovernor(configure: o => o.Budgets.Add(new BudgetPolicy("tenant-daily") { Level = ScopeLevel.Tenant, CostLimit = 0.02m }));
        services.AddChatClient(TestChatClient.Answering("The answer.", "gpt-4o", new UsageDetails { InputTokenCount = 2_000, OutputTokenCount = 500 }))
            .UseOpenTelemetry()
            .UseTokenGovernor(g => g.UseResponseCache().UseBudgets().UseCostMetering());
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();
        using (GovernanceScope.Begin(tenant: "acme", feature: "faq"))
        {
            for (var i = 0; i < 6; i++)
            {
                try
                {
                    await client.GetResponseAsync(i == 1 ? "question 0" : $"question {i}", new ChatOptions { ModelId = "gpt-4o", MaxOutputTokens = 500 });
                }
                catch (BudgetExceededException)
                {
                }
            }
        }

        listener.RecordObservableInstruments();
        return recorded;
    }
}
