using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Spectre.Console;
using TokenGovernor.Embeddings.MiniLM;

namespace TokenGovernor.Cli;

/// <summary>
/// <c>tokengov calibrate --pairs F.jsonl [--embedder hashing|minilm] [--target-precision P] [--json]</c>: precision, recall and
/// F1 of the semantic cache's own decision (the embedder's similarity, then the guard the cache uses with that embedder) at
/// thresholds 0.50–0.99, the lowest threshold reaching the target, and the threshold the cache uses by default.
/// </summary>
internal sealed class CalibrateCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "calibrate";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov calibrate --pairs F.jsonl [--embedder hashing|minilm] [--target-precision 0.95] [--json]
              Precision, recall and F1 of the semantic cache's decision (similarity, then the guard) at thresholds 0.50-0.99
              on pairs {"a","b","label"} (1 = same meaning) or {"a","b","score"} (STS 0-5: >= 4 same, <= 3 different, the
              middle dropped), the lowest threshold reaching the target, and default_threshold: what UseSemanticCache uses
              with that embedder. --embedder minilm (default: all-MiniLM-L6-v2, local) or hashing.

        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var stdout = context.Stdout;
        var path = cli.String("pairs") ?? throw new CliUsageException("calibrate needs --pairs F.jsonl");
        var embedderName = (cli.String("embedder") ?? "minilm").ToLowerInvariant();
        if (embedderName is not ("minilm" or "hashing"))
        {
            throw new CliUsageException($"--embedder '{embedderName}' is not available offline; use 'minilm' (the default: all-MiniLM-L6-v2, local) or 'hashing'");
        }

        var targetText = cli.String("target-precision") ?? "0.95";
        if (!double.TryParse(targetText, NumberStyles.Float, CultureInfo.InvariantCulture, out var target) || target is <= 0 or > 1)
        {
            throw new CliUsageException($"--target-precision must be a number in (0, 1], not '{targetText}'");
        }

        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();
        CliApp.RequireFile(path, "--pairs");
        var (pairs, dropped) = await ReadPairsAsync(path);
        if (pairs.Count == 0)
        {
            throw new CliUsageException($"{path} has no pairs (with scores, only those >= 4 or <= 3 count)");
        }

        using IEmbeddingGenerator<string, Embedding<float>> embedder = embedderName == "minilm"
            ? new MiniLMEmbeddingGenerator()
            : new HashingEmbeddingGenerator();
        var defaults = SemanticCacheDefaults.For(embedder);
        var grid = Enumerable.Range(50, 50).Select(i => i / 100.0).Append(Math.Round(defaults.SimilarityThreshold, 4)).Distinct();
        var report = await SemanticCacheCalibrator.CalibrateAsync(pairs, embedder, defaults.Guard, target, grid);
        var atDefault = report.Thresholds.First(p => p.Threshold == Math.Round(defaults.SimilarityThreshold, 4));

        if (json)
        {
            await stdout.WriteLineAsync(CliApp.Json(w =>
            {
                w.WriteNumber("pairs", report.Pairs);
                w.WriteStartArray("thresholds");
                foreach (var p in report.Thresholds)
                {
                    WritePoint(w, p);
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

                w.WriteNumber("default_threshold", Math.Round(defaults.SimilarityThreshold, 4));
                w.WritePropertyName("at_default");
                WritePoint(w, atDefault);
                w.WriteString("embedder", embedderName);
                w.WriteNumber("dropped", dropped);
            }));
            return 0;
        }

        var table = new Table().AddColumn(new TableColumn("threshold").RightAligned()).AddColumn(new TableColumn("precision").RightAligned())
            .AddColumn(new TableColumn("recall").RightAligned()).AddColumn(new TableColumn("F1").RightAligned());
        table.Title = new TableTitle(string.Create(CultureInfo.InvariantCulture,
            $"{report.Pairs} pairs{(dropped > 0 ? $" ({dropped} with a middle score dropped)" : string.Empty)}, {embedderName} embedder + the cache's guard"));
        foreach (var p in report.Thresholds.Where((p, i) => i % 5 == 0 || p.Threshold == report.Recommended || p == atDefault))
        {
            var bold = p.Threshold == report.Recommended || p == atDefault;
            table.AddRow(
                (bold ? "[bold]" : string.Empty) + p.Threshold.ToString("0.00", CultureInfo.InvariantCulture) + (bold ? "[/]" : string.Empty),
                p.Precision.ToString("0.000", CultureInfo.InvariantCulture),
                p.Recall.ToString("0.000", CultureInfo.InvariantCulture),
                p.F1.ToString("0.000", CultureInfo.InvariantCulture));
        }

        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors });
        console.Profile.Width = 160;
        console.Write(table);
        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"default threshold (what UseSemanticCache uses with {embedderName}): {defaults.SimilarityThreshold:0.00}: precision {atDefault.Precision:0.000}, recall {atDefault.Recall:0.000}"));
        await stdout.WriteLineAsync(report.Recommended is { } rec
            ? string.Create(CultureInfo.InvariantCulture, $"recommended threshold: {rec:0.00} (lowest with precision >= {target:0.00})")
            : string.Create(CultureInfo.InvariantCulture, $"no threshold reaches precision {target:0.00}"));
        return 0;
    }

    /// <summary>Reads <c>{"a","b","label"}</c> (1 or true = same meaning) or <c>{"a","b","score"}</c> (STS 0–5: at least 4 is the
    /// same meaning, at most 3 is not, in between is dropped) lines.</summary>
    internal static async Task<(List<LabeledPair> Pairs, int Dropped)> ReadPairsAsync(string path)
    {
        var pairs = new List<LabeledPair>();
        var dropped = 0;
        using var reader = File.OpenText(path);
        var number = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var a = root.GetProperty("a").GetString() ?? throw new FormatException("\"a\" is null");
                var b = root.GetProperty("b").GetString() ?? throw new FormatException("\"b\" is null");
                bool? same;
                if (root.TryGetProperty("label", out var label))
                {
                    same = label.ValueKind switch
                    {
                        JsonValueKind.Number => label.GetDouble() != 0,
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw new FormatException("\"label\" must be 0 or 1"),
                    };
                }
                else if (root.TryGetProperty("score", out var score) && score.ValueKind == JsonValueKind.Number)
                {
                    var s = score.GetDouble();
                    same = s >= 4 ? true : s <= 3 ? false : null;
                }
                else
                {
                    throw new FormatException("a line needs \"label\" (0/1) or \"score\" (0-5)");
                }

                if (same is { } value)
                {
                    pairs.Add(new LabeledPair(a, b, value));
                }
                else
                {
                    dropped++;
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new CliUsageException($"{path} line {number}: expected {{\"a\",\"b\",\"label\"}} or {{\"a\",\"b\",\"score\"}}: {ex.Message.ReplaceLineEndings(" ")}");
            }
        }

        return (pairs, dropped);
    }

    private static void WritePoint(Utf8JsonWriter w, CalibrationPoint p)
    {
        w.WriteStartObject();
        w.WriteNumber("threshold", p.Threshold);
        w.WriteNumber("precision", Math.Round(p.Precision, 4));
        w.WriteNumber("recall", Math.Round(p.Recall, 4));
        w.WriteNumber("f1", Math.Round(p.F1, 4));
        w.WriteEndObject();
    }
}
