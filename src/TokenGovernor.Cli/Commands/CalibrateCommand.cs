using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov calibrate</c>: precision and recall of the semantic cache on labelled pairs.</summary>
internal sealed class CalibrateCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "calibrate";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov calibrate --pairs F.jsonl [--embedder hashing] [--target-precision 0.95] [--json]
              Precision, recall and F1 of the semantic cache's decision (similarity and guard) at thresholds 0.50-0.99 on
              labelled pairs {"a","b","label"} (label 1 = same meaning), and the lowest threshold reaching the target.

        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var stdout = context.Stdout;
        var path = cli.String("pairs") ?? throw new CliUsageException("calibrate needs --pairs F.jsonl");
        var embedder = cli.String("embedder") ?? "hashing";
        if (!string.Equals(embedder, "hashing", StringComparison.OrdinalIgnoreCase))
        {
            throw new CliUsageException($"--embedder '{embedder}' is not available offline; use 'hashing', or calibrate a neural embedder with SemanticCacheCalibrator in code");
        }

        var targetText = cli.String("target-precision") ?? "0.95";
        if (!double.TryParse(targetText, NumberStyles.Float, CultureInfo.InvariantCulture, out var target) || target is <= 0 or > 1)
        {
            throw new CliUsageException($"--target-precision must be a number in (0, 1], not '{targetText}'");
        }

        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();

        var pairs = new List<LabeledPair>();
        await foreach (var (lineNumber, line) in CliApp.ReadLinesAsync(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var a = root.GetProperty("a").GetString() ?? throw new FormatException("\"a\" is null");
                var b = root.GetProperty("b").GetString() ?? throw new FormatException("\"b\" is null");
                var label = root.GetProperty("label");
                var same = label.ValueKind switch
                {
                    JsonValueKind.Number => label.GetInt32() != 0,
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw new FormatException("\"label\" must be 0 or 1"),
                };
                pairs.Add(new LabeledPair(a, b, same));
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new CliUsageException($"{path} line {lineNumber}: expected {{\"a\",\"b\",\"label\"}}: {CliApp.OneLine(ex.Message)}");
            }
        }

        if (pairs.Count == 0)
        {
            throw new CliUsageException($"{path} has no pairs");
        }

        var report = await SemanticCacheCalibrator.CalibrateAsync(pairs, targetPrecision: target);
        if (json)
        {
            await stdout.WriteLineAsync(CliApp.Json(w =>
            {
                w.WriteNumber("pairs", report.Pairs);
                w.WriteStartArray("thresholds");
                foreach (var p in report.Thresholds)
                {
                    w.WriteStartObject();
                    w.WriteNumber("threshold", p.Threshold);
                    w.WriteNumber("precision", Math.Round(p.Precision, 4));
                    w.WriteNumber("recall", Math.Round(p.Recall, 4));
                    w.WriteNumber("f1", Math.Round(p.F1, 4));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                if (report.Recommended is { } r)
                {
                    w.WriteNumber("recommended", r);
                }
                else
                {
                    w.WriteNull("recommended");
                }
            }));
            return 0;
        }

        var table = new Table().AddColumn(new TableColumn("threshold").RightAligned()).AddColumn(new TableColumn("precision").RightAligned())
            .AddColumn(new TableColumn("recall").RightAligned()).AddColumn(new TableColumn("F1").RightAligned());
        table.Title = new TableTitle($"{report.Pairs} pairs, hashing embedder + guard");
        foreach (var p in report.Thresholds.Where((_, i) => i % 5 == 0 || report.Thresholds[i].Threshold == report.Recommended))
        {
            var mark = p.Threshold == report.Recommended ? "[bold]" : string.Empty;
            var end = mark.Length > 0 ? "[/]" : string.Empty;
            table.AddRow(
                mark + p.Threshold.ToString("0.00", CultureInfo.InvariantCulture) + end,
                p.Precision.ToString("0.000", CultureInfo.InvariantCulture),
                p.Recall.ToString("0.000", CultureInfo.InvariantCulture),
                p.F1.ToString("0.000", CultureInfo.InvariantCulture));
        }

        CliApp.Render(stdout, table);
        await stdout.WriteLineAsync(report.Recommended is { } rec
            ? FormattableString.Invariant($"recommended threshold: {rec:0.00} (lowest with precision >= {target:0.00})")
            : FormattableString.Invariant($"no threshold reaches precision {target:0.00}"));
        return 0;
    }
}
