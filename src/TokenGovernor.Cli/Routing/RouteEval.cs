using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.AI;

namespace TokenGovernor.Cli;

/// <summary>
/// <c>tokengov route eval</c>: trains routers exactly as <c>route train</c> does on part of the labels and scores the rest exactly
/// as <c>classify --router</c> does, so the numbers it prints are the ones a user of those two commands gets.
/// </summary>
internal static class RouteEval
{
    private const int RandomRepeats = 50;

    public static async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var labels = cli.String("labels") ?? throw new CliUsageException("route eval needs --labels F.jsonl (labelled lines)");
        var split = cli.String("split") ?? "random";
        var trainShare = RouteCommand.Number(cli, "train-share") ?? 0.6;
        var folds = (int)(RouteCommand.Number(cli, "folds") ?? 5);
        var tiers = RouteCommand.Tiers(cli);
        var options = RouteCommand.ReadTrainingOptions(cli, tiers);
        var embedderName = cli.String("embedder");
        var cachePath = cli.String("embedding-cache");
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();
        if (split is not ("random" or "subject"))
        {
            throw new CliUsageException($"--split '{split}' is not known; use random or subject");
        }

        if (trainShare is <= 0 or >= 1 || folds < 2)
        {
            throw new CliUsageException("--train-share must be between 0 and 1 and --folds at least 2");
        }

        using var embedder = RouterEmbedders.Create(embedderName) is { } e ? new MemoEmbeddingGenerator(e) : null;
        if (cachePath is not null)
        {
            embedder?.Load(cachePath);
        }

        var rows = await RoutingLabels.ReadAsync(labels, tiers ?? RoutingLabels.DefaultTwoTiers);
        var names = tiers ?? RoutingLabels.DefaultTwoTiers;
        if (rows.Any(r => !r.Example.Quality.ContainsKey(names[0]) || !r.Example.Quality.ContainsKey(names[^1])))
        {
            throw new CliUsageException($"route eval compares the tiers {names[0]} and {names[^1]}; every line needs both (name them with --tiers)");
        }

        var splits = split == "random" ? [RandomSplit(rows.Count, trainShare, options.Seed)] : SubjectSplits(rows, folds, options.Seed);
        var results = new List<SplitResult>();
        var watch = Stopwatch.StartNew();
        foreach (var (name, train, test) in splits)
        {
            results.Add(await EvaluateAsync(name, rows, train, test, names, options, embedder, split == "random"));
        }

        watch.Stop();
        if (cachePath is not null)
        {
            embedder?.Save(cachePath);
        }

        if (json)
        {
            foreach (var r in results)
            {
                await context.Stdout.WriteLineAsync(CliApp.Json(w =>
                {
                    w.WriteString("split", r.Name);
                    w.WriteNumber("train", r.Train);
                    w.WriteNumber("test", r.Test);
                    foreach (var (method, m) in r.Methods)
                    {
                        w.WriteStartObject(method);
                        w.WriteNumber("apgr", Math.Round(m.Apgr, 4));
                        w.WriteNumber("strong_share_for_95", m.ShareFor95);
                        if (m.OperatingShare is { } share)
                        {
                            w.WriteNumber("operating_strong_share", Math.Round(share, 4));
                            w.WriteNumber("operating_quality_kept", Math.Round(m.OperatingKept!.Value, 4));
                        }

                        w.WriteEndObject();
                    }
                }));
            }

            if (results.Count > 1)
            {
                await context.Stdout.WriteLineAsync(CliApp.Json(w =>
                {
                    w.WriteString("split", "mean");
                    foreach (var method in results[0].Methods.Keys)
                    {
                        w.WriteStartObject(method);
                        w.WriteNumber("apgr", Math.Round(results.Average(r => r.Methods[method].Apgr), 4));
                        w.WriteNumber("strong_share_for_95", Math.Round(results.Average(r => r.Methods[method].ShareFor95), 4));
                        w.WriteEndObject();
                    }
                }));
            }

            return 0;
        }

        foreach (var r in results)
        {
            await context.Stdout.WriteLineAsync(FormattableString.Invariant($"{r.Name}: train {r.Train}, test {r.Test}"));
            foreach (var (method, m) in r.Methods)
            {
                var operating = m.OperatingShare is { } share
                    ? FormattableString.Invariant($"   operating point: {share:P1} strong, {m.OperatingKept:P1} of strong quality")
                    : string.Empty;
                await context.Stdout.WriteLineAsync(FormattableString.Invariant($"  {method,-10} APGR {m.Apgr:0.000}   strong share for 95%: {m.ShareFor95:P0}{operating}"));
            }
        }

        if (results.Count > 1)
        {
            await context.Stdout.WriteLineAsync("mean over folds:");
            foreach (var method in results[0].Methods.Keys)
            {
                await context.Stdout.WriteLineAsync(FormattableString.Invariant(
                    $"  {method,-10} APGR {results.Average(r => r.Methods[method].Apgr):0.000}   strong share for 95%: {results.Average(r => r.Methods[method].ShareFor95):P0}"));
            }
        }

        await context.Stdout.WriteLineAsync(FormattableString.Invariant($"({watch.Elapsed.TotalSeconds:0} s)"));
        return 0;
    }

    private static (string Name, int[] Train, int[] Test) RandomSplit(int count, double trainShare, int seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        new Random(seed).Shuffle(order);
        var cut = (int)Math.Round(count * trainShare);
        return (FormattableString.Invariant($"random {trainShare:P0}/{1 - trainShare:P0} (seed {seed})"), [.. order[..cut].Order()], [.. order[cut..].Order()]);
    }

    private static List<(string Name, int[] Train, int[] Test)> SubjectSplits(List<(RoutingExample Example, string? Subject)> rows, int folds, int seed)
    {
        if (rows.Any(r => r.Subject is null))
        {
            throw new CliUsageException("--split subject needs a \"subject\" field on every line");
        }

        var subjects = rows.Select(r => r.Subject!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (subjects.Length < folds)
        {
            throw new CliUsageException($"--split subject with {folds} folds needs at least {folds} subjects; the labels have {subjects.Length}");
        }

        new Random(seed).Shuffle(subjects);
        var fold = subjects.Select((s, i) => (s, i % folds)).ToDictionary(p => p.s, p => p.Item2, StringComparer.Ordinal);
        var result = new List<(string, int[], int[])>();
        for (var f = 0; f < folds; f++)
        {
            var held = subjects.Where(s => fold[s] == f).Order(StringComparer.Ordinal).ToArray();
            var train = Enumerable.Range(0, rows.Count).Where(i => fold[rows[i].Subject!] != f).ToArray();
            var test = Enumerable.Range(0, rows.Count).Where(i => fold[rows[i].Subject!] == f).ToArray();
            result.Add(($"subjects held out: {string.Join(", ", held)}", train, test));
        }

        return result;
    }

    private static async Task<SplitResult> EvaluateAsync(string name, List<(RoutingExample Example, string? Subject)> rows, int[] train, int[] test,
        IReadOnlyList<string> tiers, LearnedRouterTrainingOptions options, IEmbeddingGenerator<string, Embedding<float>>? embedder, bool bySubject)
    {
        var weak = test.Select(i => rows[i].Example.Quality[tiers[0]]).ToArray();
        var strong = test.Select(i => rows[i].Example.Quality[tiers[^1]]).ToArray();
        var methods = new Dictionary<string, Metrics>(StringComparer.Ordinal);

        var router = await LearnedRouter.TrainAsync(train.Select(i => rows[i].Example), options, embedder);
        var learned = new double[test.Length];
        for (var k = 0; k < test.Length; k++)
        {
            learned[k] = await router.ScoreAsync(rows[test[k]].Example.Messages);
        }

        var onStrong = learned.Select(s => s > router.Threshold).ToArray();
        var kept = Enumerable.Range(0, test.Length).Sum(k => onStrong[k] ? strong[k] : weak[k]) / Math.Max(1e-9, strong.Sum());
        methods["learned"] = Measure(learned, weak, strong) with { OperatingShare = onStrong.Average(b => b ? 1.0 : 0.0), OperatingKept = kept };

        var rules = new RuleBasedComplexityClassifier();
        methods["default"] = Measure([.. test.Select(i => rules.Classify([.. rows[i].Example.Messages], null, 4).Score)], weak, strong);

        var random = new Random(options.Seed);
        var apgr = 0.0;
        var share = 0.0;
        for (var r = 0; r < RandomRepeats; r++)
        {
            var m = Measure([.. test.Select(_ => random.NextDouble())], weak, strong);
            apgr += m.Apgr;
            share += m.ShareFor95;
        }

        methods["random"] = new Metrics(apgr / RandomRepeats, Math.Round(share / RandomRepeats, 4), null, null);
        if (bySubject && rows.All(r => r.Subject is not null))
        {
            var gap = train.GroupBy(i => rows[i].Subject!, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Average(i => rows[i].Example.Quality[tiers[^1]] - rows[i].Example.Quality[tiers[0]]), StringComparer.Ordinal);
            var overall = train.Average(i => rows[i].Example.Quality[tiers[^1]] - rows[i].Example.Quality[tiers[0]]);
            methods["subject"] = Measure([.. test.Select(i => gap.GetValueOrDefault(rows[i].Subject!, overall))], weak, strong);
        }

        return new SplitResult(name, train.Length, test.Length, methods);
    }

    private static Metrics Measure(double[] scores, double[] weak, double[] strong) =>
        new(RouterEvaluation.Apgr(scores, weak, strong), RouterEvaluation.StrongShareFor(0.95, scores, weak, strong), null, null);

    private sealed record Metrics(double Apgr, double ShareFor95, double? OperatingShare, double? OperatingKept);

    private sealed record SplitResult(string Name, int Train, int Test, Dictionary<string, Metrics> Methods);
}
