using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov replay --log F.jsonl --config governor.json [--json]</c>.</summary>
internal sealed class ReplayCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "replay";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov replay --log F.jsonl --config governor.json [--json]
              Runs recorded traffic (one call per line: time, scope, model, messages or inputTokens, usage; see
              UseTrafficRecording) through the configuration's budgets, caches and routing against a provider that returns
              the recorded usage, and reports spend, savings, degradations and refusals beside the recording.
              governor.json: {"TokenGovernor": {"Budgets": {"Policies": [...]}, "Pipeline": {"ResponseCache": true, ...}}}

        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var stdout = context.Stdout;
        var logPath = cli.String("log") ?? throw new CliUsageException("replay needs --log F.jsonl (a traffic log: one recorded call per line)");
        var configPath = cli.String("config") ?? throw new CliUsageException("replay needs --config governor.json (a TokenGovernor configuration to evaluate)");
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();
        CliApp.RequireFile(logPath, "--log");
        CliApp.RequireFile(configPath, "--config");

        var configuration = new ConfigurationBuilder().AddJsonFile(Path.GetFullPath(configPath), optional: false, reloadOnChange: false).Build();
        List<TrafficLogEntry> entries;
        using (var reader = File.OpenText(logPath))
        {
            entries = [.. TrafficLog.Read(reader)];
        }

        var report = await TrafficReplayer.RunAsync(entries, configuration);
        if (json)
        {
            await stdout.WriteLineAsync(CliApp.Json(w => Write(w, report)));
            return 0;
        }

        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{report.Calls} calls replayed"));
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{"",-12}{"cost USD",14}{"provider",10}{"cache hits",12}{"refusals",10}"));
        foreach (var (name, t) in new[] { ("recorded", report.Recorded), ("replayed", report.Replayed) })
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{name,-12}{CliApp.Money(t.Cost),14}{t.ProviderCalls,10}{t.CacheHits,12}{t.Refusals,10}"));
        }

        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"savings {CliApp.Money(report.Savings)} USD (cache {CliApp.Money(report.CacheSavings)}, routing {CliApp.Money(report.RoutingSavings)}, refusals {CliApp.Money(report.RefusalSavings)})"));
        foreach (var (step, count) in report.Degradations)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"degradation {step}: {count}"));
        }

        foreach (var row in report.ByFeature)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"feature {row.Feature}: {row.Calls} calls, {CliApp.Money(row.RecordedCost)} → {CliApp.Money(row.ReplayedCost)} USD"));
        }

        return 0;
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
        w.WriteNumber("refusals", CliApp.Normalize(report.RefusalSavings));
        w.WriteEndObject();
        w.WriteStartObject("degradations");
        foreach (var (step, count) in report.Degradations)
        {
            w.WriteNumber(step, count);
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
