using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov replay --log F.jsonl --config governor.json [--compare other.json] [--json]</c>.</summary>
internal sealed class ReplayCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "replay";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov replay --log F.jsonl --config governor.json [--compare other.json] [--json]
              Runs recorded traffic (one call per line: time, scope, model, messages or inputTokens, usage; see
              UseTrafficRecording) through the configuration's budgets, caches and routing against a provider that returns
              the recorded usage, and reports spend, savings by mechanism (cache, routing, degradations, refusals, other:
              they add up to the total), degradations, refusals and the tier mix beside the recording. --compare runs a
              second configuration on the same log and prints both side by side.
              governor.json: {"TokenGovernor": {"Pipeline": {"ResponseCache": true, "ModelRouting": true, ...},
              "Budgets": {"Policies": [...], "Ladder": [...]}, "Routing": {"Tiers": [...], "RouterFile": "router.json"},
              "ResponseCache": {"SimilarityThreshold": 0.9, "Embedder": "minilm"}, "LoopGuard": {"MaxSteps": 20}}}

        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var stdout = context.Stdout;
        var logPath = cli.String("log") ?? throw new CliUsageException("replay needs --log F.jsonl (a traffic log: one recorded call per line)");
        var configPath = cli.String("config") ?? throw new CliUsageException("replay needs --config governor.json (a TokenGovernor configuration to evaluate)");
        var comparePath = cli.String("compare");
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();
        CliApp.RequireFile(logPath, "--log");
        CliApp.RequireFile(configPath, "--config");
        if (comparePath is not null)
        {
            CliApp.RequireFile(comparePath, "--compare");
        }

        List<TrafficLogEntry> entries;
        using (var reader = File.OpenText(logPath))
        {
            entries = [.. TrafficLog.Read(reader, warning => context.Stderr.WriteLine("tokengov: warning: " + warning))];
        }

        var reports = new List<(string Name, ReplayReport Report)> { (Path.GetFileName(configPath), await ReplayAsync(entries, configPath)) };
        if (comparePath is not null)
        {
            reports.Add((Path.GetFileName(comparePath), await ReplayAsync(entries, comparePath)));
        }

        if (json)
        {
            await stdout.WriteLineAsync(comparePath is null
                ? CliApp.Json(w => Write(w, reports[0].Report))
                : CliApp.Json(w =>
                {
                    w.WriteStartArray("configurations");
                    foreach (var (name, report) in reports)
                    {
                        w.WriteStartObject();
                        w.WriteString("config", name);
                        Write(w, report);
                        w.WriteEndObject();
                    }

                    w.WriteEndArray();
                }));
            return 0;
        }

        if (comparePath is null)
        {
            await WriteOneAsync(stdout, reports[0].Report);
        }
        else
        {
            await WriteSideBySideAsync(stdout, reports);
        }

        return 0;
    }

    private static async Task<ReplayReport> ReplayAsync(List<TrafficLogEntry> entries, string configPath)
    {
        var full = Path.GetFullPath(configPath);
        var configuration = new ConfigurationBuilder().AddJsonFile(full, optional: false, reloadOnChange: false).Build();
        using var setup = ReplaySetup.Read(configuration, Path.GetDirectoryName(full) ?? Directory.GetCurrentDirectory());
        return await TrafficReplayer.RunAsync(entries, configuration, setup);
    }

    private static async Task WriteOneAsync(TextWriter stdout, ReplayReport report)
    {
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{report.Calls} calls replayed"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{"",-12}{"cost USD",14}{"provider",10}{"cache hits",12}{"refusals",10}"));
        foreach (var (name, t) in new[] { ("recorded", report.Recorded), ("replayed", report.Replayed) })
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{name,-12}{CliApp.Money(t.Cost),14}{t.ProviderCalls,10}{t.CacheHits,12}{t.Refusals,10}"));
        }

        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"savings {CliApp.Money(report.Savings)} USD (cache {CliApp.Money(report.CacheSavings)}, routing {CliApp.Money(report.RoutingSavings)}, degradations {CliApp.Money(report.DegradationSavings)}, refusals {CliApp.Money(report.RefusalSavings)}, other {CliApp.Money(report.OtherSavings)})"));
        foreach (var (step, count) in report.Degradations)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"degradation {step}: {count}"));
        }

        foreach (var (tier, count) in report.TierMix)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"tier {tier}: {count}"));
        }

        foreach (var row in report.ByFeature)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"feature {row.Feature}: {row.Calls} calls, {CliApp.Money(row.RecordedCost)} → {CliApp.Money(row.ReplayedCost)} USD"));
        }
    }

    private static async Task WriteSideBySideAsync(TextWriter stdout, List<(string Name, ReplayReport Report)> reports)
    {
        var table = new Table();
        table.AddColumn(string.Create(CultureInfo.InvariantCulture, $"{reports[0].Report.Calls} calls"));
        table.AddColumn("recorded");
        foreach (var (name, _) in reports)
        {
            table.AddColumn(Markup.Escape(name));
        }

        void Row(string label, string recorded, Func<ReplayReport, string> value) =>
            table.AddRow([label, recorded, .. reports.Select(r => value(r.Report))]);

        var first = reports[0].Report;
        Row("spend USD", CliApp.Money(first.Recorded.Cost), r => CliApp.Money(r.Replayed.Cost));
        Row("provider calls", first.Recorded.ProviderCalls.ToString(CultureInfo.InvariantCulture), r => r.Replayed.ProviderCalls.ToString(CultureInfo.InvariantCulture));
        Row("cache hits", first.Recorded.CacheHits.ToString(CultureInfo.InvariantCulture), r => r.Replayed.CacheHits.ToString(CultureInfo.InvariantCulture));
        Row("refusals", first.Recorded.Refusals.ToString(CultureInfo.InvariantCulture), r => r.Replayed.Refusals.ToString(CultureInfo.InvariantCulture));
        Row("savings USD", "", r => CliApp.Money(r.Savings));
        Row("  cache", "", r => CliApp.Money(r.CacheSavings));
        Row("  routing", "", r => CliApp.Money(r.RoutingSavings));
        Row("  degradations", "", r => CliApp.Money(r.DegradationSavings));
        Row("  refusals", "", r => CliApp.Money(r.RefusalSavings));
        Row("  other", "", r => CliApp.Money(r.OtherSavings));
        foreach (var step in reports.SelectMany(r => r.Report.Degradations.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            Row("degradation " + step, "", r => r.Degradations.GetValueOrDefault(step).ToString(CultureInfo.InvariantCulture));
        }

        foreach (var tier in reports.SelectMany(r => r.Report.TierMix.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            Row("tier " + tier, "", r => r.TierMix.GetValueOrDefault(tier).ToString(CultureInfo.InvariantCulture));
        }

        CliApp.Render(stdout, table);
        await Task.CompletedTask;
    }

    private static void Write(Utf8JsonWriter w, ReplayReport report)
    {
        w.WriteNumber("calls", report.Calls);
        WriteTotals(w, "recorded", report.Recorded);
        WriteTotals(w, "replayed", report.Replayed);
        w.WriteStartObject("savings");
        w.WriteNumber("total", CliApp.Normalize(report.Savings));
        w.WriteNumber("cache", CliApp.Normalize(report.CacheSavings));
        w.WriteNumber("routing", CliApp.Normalize(report.RoutingSavings));
        w.WriteNumber("degradations", CliApp.Normalize(report.DegradationSavings));
        w.WriteNumber("refusals", CliApp.Normalize(report.RefusalSavings));
        w.WriteNumber("other", CliApp.Normalize(report.OtherSavings));
        w.WriteEndObject();
        w.WriteStartObject("degradations");
        foreach (var (step, count) in report.Degradations)
        {
            w.WriteNumber(step, count);
        }

        w.WriteEndObject();
        w.WriteStartObject("tier_mix");
        foreach (var (tier, count) in report.TierMix)
        {
            w.WriteNumber(tier, count);
        }

        w.WriteEndObject();
        w.WriteStartArray("by_feature");
        foreach (var row in report.ByFeature)
        {
            w.WriteStartObject();
            w.WriteString("feature", row.Feature);
            w.WriteNumber("calls", row.Calls);
            w.WriteNumber("recorded_cost", CliApp.Normalize(row.RecordedCost));
            w.WriteNumber("replayed_cost", CliApp.Normalize(row.ReplayedCost));
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteTotals(Utf8JsonWriter w, string name, ReplayTotals t)
    {
        w.WriteStartObject(name);
        w.WriteNumber("cost", CliApp.Normalize(t.Cost));
        w.WriteNumber("provider_calls", t.ProviderCalls);
        w.WriteNumber("cache_hits", t.CacheHits);
        w.WriteNumber("refusals", t.Refusals);
        w.WriteNumber("input_tokens", t.Usage.TotalInputTokens);
        w.WriteNumber("output_tokens", t.Usage.TotalOutputTokens);
        w.WriteEndObject();
    }
}
