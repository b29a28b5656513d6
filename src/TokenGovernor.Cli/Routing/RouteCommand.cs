using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov route train</c> (a router from labelled traffic) and <c>tokengov route eval</c> (how well it routes
/// requests it was not trained on).</summary>
internal sealed class RouteCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "route";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json", "no-topic-prior"];

    /// <inheritdoc />
    public string Usage => """
          tokengov route train --labels F.jsonl --out router.json [--embedder minilm|hashing|none] [--tiers Small,Large]
                               [--target-quality 0.95 | --max-strong-share S] [--seed N] [--l2 X] [--iterations N] [--no-topic-prior] [--json]
              Trains a router (logistic regression on hashed words and word pairs, the default classifier's rule signals and
              the embedding, with an embedder also a tiny MLP on the rule signals and embedding, blended with a topic prior:
              the mean gain of the training requests' word clusters; --no-topic-prior leaves it out) from labelled lines {"prompt"|"messages","weak_correct":bool,"strong_correct":bool} or
              {"prompt"|"messages","quality":{"<tier>":0..1}}. The operating point (the score above which a call goes to
              the stronger tier) is chosen on held-out folds to keep the target share of the strongest tier's quality with
              as few strong calls as it can, or to stay within --max-strong-share; it is stored in the file. --tiers names
              the two-tier form's weak and strong tier (default Small,Large) or orders the quality form's tiers.
          tokengov route eval --labels F.jsonl [--split random|subject] [--train-share 0.6] [--folds 5] [--seed N]
                              [--embedder none|hashing|minilm] [--embedding-cache F] [--l2 X] [--iterations N] [--no-topic-prior] [--json]
              Trains on part of the labels and scores the rest: APGR (mean over strong shares 0-100% of the quality gap
              closed), the strong share needed to keep 95% of strong quality, and the trained operating point's share and
              quality on the held-out part, for the learned router, the default classifier and random routing (and, on a
              random split with "subject" fields, routing by subject alone). --split subject holds out whole subjects.

        """;

    /// <inheritdoc />
    public Task<int> RunAsync(CliArguments cli, CliContext context) => cli.Subcommand switch
    {
        "train" => TrainAsync(cli, context),
        "eval" => RouteEval.RunAsync(cli, context),
        null => throw new CliUsageException("route needs a subcommand: route train --labels F.jsonl --out router.json, or route eval --labels F.jsonl"),
        var other => throw new CliUsageException($"unknown route subcommand '{other}'; use train or eval"),
    };

    /// <summary>Reads the training options shared by <c>train</c> and <c>eval</c>.</summary>
    internal static LearnedRouterTrainingOptions ReadTrainingOptions(CliArguments cli, IReadOnlyList<string>? tiers)
    {
        var options = new LearnedRouterTrainingOptions { Tiers = tiers };
        if (Number(cli, "target-quality") is { } target)
        {
            options.TargetQuality = target is >= 0 and <= 1 ? target : throw new CliUsageException("--target-quality must be in [0, 1], for example 0.95");
        }

        if (Number(cli, "max-strong-share") is { } share)
        {
            if (cli.String("target-quality") is not null)
            {
                throw new CliUsageException("give --target-quality or --max-strong-share, not both");
            }

            options.MaxStrongShare = share is >= 0 and <= 1 ? share : throw new CliUsageException("--max-strong-share must be in [0, 1], for example 0.5");
        }

        options.Seed = (int?)Number(cli, "seed") ?? options.Seed;
        options.L2 = Number(cli, "l2") ?? options.L2;
        options.Iterations = (int?)Number(cli, "iterations") ?? options.Iterations;
        options.TopicPrior = !cli.Flag("no-topic-prior");
        return options;
    }

    internal static double? Number(CliArguments cli, string name) => cli.String(name) is { } text
        ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new CliUsageException($"--{name} must be a number, not '{text}'")
        : null;

    internal static IReadOnlyList<string>? Tiers(CliArguments cli) => cli.String("tiers") is { } text
        ? text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries) is { Length: >= 2 } names
            ? names
            : throw new CliUsageException("--tiers needs at least two tier names, cheapest first, for example Small,Large")
        : null;

    private static async Task<int> TrainAsync(CliArguments cli, CliContext context)
    {
        var labels = cli.String("labels") ?? throw new CliUsageException("route train needs --labels F.jsonl (labelled lines)");
        var output = cli.String("out") ?? throw new CliUsageException("route train needs --out router.json (the router file to write)");
        var tiers = Tiers(cli);
        var options = ReadTrainingOptions(cli, tiers);
        var embedderName = cli.String("embedder");
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();
        var embedder = RouterEmbedders.Create(embedderName);

        var rows = await RoutingLabels.ReadAsync(labels, tiers ?? RoutingLabels.DefaultTwoTiers);
        var watch = Stopwatch.StartNew();
        var router = await LearnedRouter.TrainAsync(rows.Select(r => r.Example), options, embedder);
        watch.Stop();
        router.Save(output);
        var (share, kept) = router.TrainedOperatingPoint;
        if (json)
        {
            await context.Stdout.WriteLineAsync(CliApp.Json(w =>
            {
                w.WriteString("out", output);
                w.WriteNumber("examples", router.Examples);
                w.WriteStartArray("tiers");
                foreach (var t in router.Tiers)
                {
                    w.WriteStringValue(t);
                }

                w.WriteEndArray();
                w.WriteNumber("threshold", Math.Round(router.Threshold, 6));
                w.WriteNumber("strong_share", Math.Round(share, 4));
                w.WriteNumber("quality_kept", Math.Round(kept, 4));
                w.WriteNumber("seconds", Math.Round(watch.Elapsed.TotalSeconds, 2));
            }));
        }
        else
        {
            await context.Stdout.WriteLineAsync(FormattableString.Invariant(
                $"trained on {router.Examples} examples ({string.Join(" < ", router.Tiers)}) in {watch.Elapsed.TotalSeconds:0.0} s → {output}"));
            await context.Stdout.WriteLineAsync(FormattableString.Invariant(
                $"operating point: threshold {router.Threshold:0.0000}; on held-out folds {share:P1} of calls on {router.Tiers[^1]}, keeping {kept:P1} of its quality"));
        }

        return 0;
    }

    /// <summary>The embedder name a router file recorded (<c>features.embedder</c>), or <see langword="null"/>.</summary>
    internal static string? RecordedEmbedder(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var doc = JsonDocument.Parse(stream);
            return doc.RootElement.TryGetProperty("features", out var f) && f.TryGetProperty("embedder", out var e) && e.ValueKind == JsonValueKind.String
                ? e.GetString()
                : null;
        }
        catch (JsonException ex)
        {
            throw new CliUsageException($"--router file '{path}' is not JSON: {CliApp.OneLine(ex.Message)}");
        }
    }
}
