namespace TokenGovernor;

/// <summary>Training data prepared once (features, qualities, head targets), fitted on subsets: folds, then all rows.</summary>
internal sealed class RouterFit
{
    private readonly RouterFeatures _features;
    private readonly FeatureRow[] _rows;
    private readonly double[][] _targets;
    private readonly double[][] _quality;
    private readonly string[] _tiers;
    private readonly bool _qualityHeads;
    private readonly string[] _headTiers;
    private readonly double _l2;
    private readonly int _iterations;
    private readonly double _embeddingScale;
    private readonly RouterTopics? _topics;
    private readonly int[][] _clusters;
    private readonly int _seed;

    public RouterFit(RouterFeatures features, FeatureRow[] rows, double[][] quality, string[] tiers, double l2, int iterations, double embeddingScale,
        RouterTopics? topics = null, int[][]? clusters = null, bool qualityHeads = true, int seed = 17)
    {
        _seed = seed;
        _qualityHeads = qualityHeads;
        _tiers = tiers;
        _features = features;
        _topics = topics;
        _clusters = clusters ?? new int[rows.Length][];
        _rows = rows;
        _l2 = l2;
        _iterations = iterations;
        _embeddingScale = embeddingScale;
        _headTiers = tiers[1..];
        _quality = quality;
        WeakWeights = !qualityHeads ? [(1.0, 0.0)]
            : UsesMlp ? [.. RouterModel.WeakWeights.SelectMany(w => MlpWeights.Select(m => (w, m)))]
            : [.. RouterModel.WeakWeights.Select(w => (w, 0.0))];
        _targets = new double[rows.Length][];
        for (var i = 0; i < rows.Length; i++)
        {
            _targets[i] = new double[_headTiers.Length];
            for (var h = 0; h < _headTiers.Length; h++)
            {
                var q0 = quality[i][0];
                var q = quality[i][h + 1];
                _targets[i][h] = double.IsNaN(q0) || double.IsNaN(q) ? double.NaN : (q - q0 + 1) / 2;
            }
        }
    }

    /// <summary>
    /// Fits the heads and, with topics, learns the topic gains on <paramref name="subset"/> (with blend 0). With quality heads (the
    /// default) there is one head per tier, each predicting that tier's quality, and a tier's gain is the difference of two
    /// heads; otherwise one head per tier above the cheapest predicts its gain directly (routers before file version 3).
    /// </summary>
    public RouterModel Fit(IReadOnlyList<int> subset)
    {
        var model = _qualityHeads
            ? RouterTrainer.Fit(_features, _rows, subset, _quality, _tiers, _l2, _iterations, _embeddingScale).AsQualityHeads()
            : RouterTrainer.Fit(_features, _rows, subset, _targets, _headTiers, _l2, _iterations, _embeddingScale);
        if (UsesMlp)
        {
            var dims = _features.DenseCount;
            var x = new float[subset.Count * dims];
            var y = new double[subset.Count][];
            for (var r = 0; r < subset.Count; r++)
            {
                var dense = _rows[subset[r]].Dense;
                for (var d = 0; d < dims; d++)
                {
                    x[(r * dims) + d] = (dense[d] - model.DenseMean[d]) * model.DenseScale[d];
                }

                y[r] = _quality[subset[r]];
            }

            model = model.WithMlp(RouterMlp.Fit(x, dims, y, _tiers.Length, MlpHidden, MlpSteps, MlpL2, _seed), 0);
        }

        return _topics is null ? model : model.WithTopics(TopicGains.Learn(_topics, _clusters, _targets, subset, _headTiers.Length));
    }

    /// <summary>The MLP head's hidden units (routers with an embedder).</summary>
    internal const int MlpHidden = 16;

    /// <summary>The MLP head's L2 penalty: 30 times the logistic heads', because it overfits 384 embedding inputs at 1e-3.</summary>
    internal const double MlpL2 = 3e-2;

    /// <summary>The MLP head's full-batch Adam steps.</summary>
    internal const int MlpSteps = 200;

    /// <summary>The weights of the MLP head's qualities against the logistic heads' tried on held-out folds; 0 first, so ties keep
    /// the logistic heads alone.</summary>
    internal static readonly double[] MlpWeights = [0, 0.5, 1];

    /// <summary>Gets whether the heads include the MLP head: quality heads with an embedding.</summary>
    private bool UsesMlp => _qualityHeads && _features.EmbeddingDimensions > 0;

    /// <summary>The (weight of the cheapest tier's head, weight of the MLP head) pairs tried on held-out folds
    /// (<see cref="RouterModel.WeakWeights"/> × <see cref="MlpWeights"/>; (1, 0) for gain heads, MLP weight 0 without an embedding).</summary>
    public IReadOnlyList<(double Weak, double Mlp)> WeakWeights { get; }

    /// <summary>Fits on all rows, with the cheapest tier's head weighted by <paramref name="weakWeight"/> and the topic prior blended
    /// at <paramref name="blend"/>.</summary>
    public RouterModel FitAll(double blend, (double Weak, double Mlp) weakWeight)
    {
        var model = Fit([.. Enumerable.Range(0, _rows.Length)]);
        model = _qualityHeads ? model.WithWeakWeight(weakWeight.Weak).WithMlp(model.Mlp, weakWeight.Mlp) : model;
        return model.Topics is { } topics ? model.WithTopics(topics with { Blend = blend }) : model;
    }

    /// <summary>
    /// Each row's predictions from a model fitted without the row's fold (folds = 1: the model fitted on all rows): the heads'
    /// output for each of <see cref="WeakWeights"/> (outer index), and the topic prior (null without topics).
    /// </summary>
    public (double[][][] Linear, double[][]? Prior) OutOfFold(int folds, int seed, CancellationToken cancellationToken)
    {
        var n = _rows.Length;
        var predictions = new double[n][][];
        var priors = _topics is null ? null : new double[n][];
        if (folds <= 1)
        {
            var all = Fit([.. Enumerable.Range(0, n)]);
            for (var i = 0; i < n; i++)
            {
                (predictions[i], var prior) = Predict(all, i);
                priors?[i] = prior!;
            }

            return (Transpose(predictions), priors);
        }

        var order = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(order);
        var fold = new int[n];
        for (var k = 0; k < n; k++)
        {
            fold[order[k]] = k % folds;
        }

        Parallel.For(0, folds, new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount }, f =>
        {
            var train = new List<int>(n);
            for (var i = 0; i < n; i++)
            {
                if (fold[i] != f)
                {
                    train.Add(i);
                }
            }

            var model = Fit(train);
            for (var i = 0; i < n; i++)
            {
                if (fold[i] == f)
                {
                    (predictions[i], var prior) = Predict(model, i);
                    priors?[i] = prior!;
                }
            }
        });
        return (Transpose(predictions), priors);
    }

    private static double[][][] Transpose(double[][][] rowsByWeight)
    {
        var weights = rowsByWeight.Length == 0 ? 0 : rowsByWeight[0].Length;
        var result = new double[weights][][];
        for (var a = 0; a < weights; a++)
        {
            result[a] = [.. rowsByWeight.Select(r => r[a])];
        }

        return result;
    }

    /// <summary>
    /// The weight of the cheapest tier's head (the index of one <paramref name="linear"/> entry, one per weight tried) and of
    /// the topic prior (one of <see cref="TopicGains.Blends"/>) whose blend of the heads' held-out output with the prior orders
    /// held-out rows best: the largest area under quality against strongest-tier share (APGR's numerator). Ties go to the earlier
    /// head weight and the smaller prior weight. Without priors the prior weight is 0.
    /// </summary>
    public static (int WeakIndex, double Blend) ChooseBlend(double[][][] linear, double[][]? prior, double[][] quality)
    {
        var best = (WeakIndex: 0, Blend: 0.0);
        var bestArea = double.NegativeInfinity;
        for (var a = 0; a < linear.Length; a++)
        {
            foreach (var blend in prior is null ? [0.0] : TopicGains.Blends)
            {
                var area = QualityArea(Blend(linear[a], prior, blend), quality);
                if (area > bestArea + 1e-12)
                {
                    bestArea = area;
                    best = (a, blend);
                }
            }
        }

        return best;
    }

    /// <summary>Per row and head: <c>blend × prior + (1 − blend) × linear</c>.</summary>
    public static double[][] Blend(double[][] linear, double[][]? prior, double blend)
    {
        if (prior is null || blend == 0)
        {
            return linear;
        }

        var result = new double[linear.Length][];
        for (var i = 0; i < linear.Length; i++)
        {
            result[i] = new double[linear[i].Length];
            for (var h = 0; h < linear[i].Length; h++)
            {
                result[i][h] = (blend * prior[i][h]) + ((1 - blend) * linear[i][h]);
            }
        }

        return result;
    }

    /// <summary>Mean quality over strongest-tier shares 0–100%, the highest-scored rows on the strongest tier, the rest on the
    /// cheapest (rows without both qualities left out).</summary>
    private static double QualityArea(double[][] predictions, double[][] quality)
    {
        var rows = Enumerable.Range(0, predictions.Length).Where(i => !double.IsNaN(quality[i][0]) && !double.IsNaN(quality[i][^1]))
            .OrderByDescending(i => predictions[i][^1]).ThenBy(i => i).ToArray();
        if (rows.Length == 0)
        {
            return 0;
        }

        var strongPrefix = new double[rows.Length + 1];
        var weakSuffix = new double[rows.Length + 1];
        for (var k = 0; k < rows.Length; k++)
        {
            strongPrefix[k + 1] = strongPrefix[k] + quality[rows[k]][^1];
        }

        for (var k = rows.Length - 1; k >= 0; k--)
        {
            weakSuffix[k] = weakSuffix[k + 1] + quality[rows[k]][0];
        }

        var sum = 0.0;
        for (var share = 0; share <= 100; share++)
        {
            var k = (int)Math.Round(share / 100.0 * rows.Length);
            sum += strongPrefix[k] + weakSuffix[k];
        }

        return sum / (101.0 * rows.Length);
    }

    private (double[][] Linear, double[]? Prior) Predict(RouterModel model, int i)
    {
        var p = new double[WeakWeights.Count][];
        for (var a = 0; a < p.Length; a++)
        {
            p[a] = new double[_headTiers.Length];
        }

        model.PredictLinear(_rows[i], WeakWeights, p);

        if (model.Topics is not { } topics)
        {
            return (p, null);
        }

        var prior = new double[_headTiers.Length];
        topics.Prior(_clusters[i], prior);
        return (p, prior);
    }

    /// <summary>
    /// The threshold for the operating point, on held-out predictions: the highest threshold keeping <paramref name="targetQuality"/>
    /// of the strongest tier's quality, or (with <paramref name="maxStrongShare"/>) the lowest whose strongest-tier share stays within it.
    /// Rows without a quality for every tier are left out.
    /// </summary>
    public static (double Threshold, LearnedRouter.OperatingPoint Point) ChooseThreshold(double[][] predictions, double[][] quality, double targetQuality, double? maxStrongShare)
    {
        var rows = Enumerable.Range(0, predictions.Length).Where(i => !quality[i].Any(double.IsNaN)).ToArray();
        if (rows.Length == 0)
        {
            return (0.5, new LearnedRouter.OperatingPoint(0, 0));
        }

        var tiers = quality[rows[0]].Length;
        var strongTotal = rows.Sum(i => quality[i][tiers - 1]);

        // Candidates: just above each held-out score (and below all of them), highest first.
        var scores = rows.Select(i => predictions[i][^1]).Distinct().OrderByDescending(s => s).ToList();
        var candidates = new List<double>(scores.Count + 1) { Math.Min(1, scores[0] + 1e-9) };
        for (var k = 0; k < scores.Count; k++)
        {
            candidates.Add(k + 1 < scores.Count ? (scores[k] + scores[k + 1]) / 2 : Math.Max(0, scores[k] - 1e-9));
        }

        if (candidates.Count > 2000)
        {
            candidates = [.. Enumerable.Range(0, 2001).Select(q => candidates[(int)((long)q * (candidates.Count - 1) / 2000)]).Distinct()];
        }

        (double Threshold, LearnedRouter.OperatingPoint Point)? best = null;
        foreach (var threshold in candidates)
        {
            double kept = 0;
            var strong = 0;
            foreach (var i in rows)
            {
                var t = RouterModel.Choose(predictions[i], threshold);
                kept += quality[i][t];
                strong += t == tiers - 1 ? 1 : 0;
            }

            var point = new LearnedRouter.OperatingPoint((double)strong / rows.Length, strongTotal > 0 ? kept / strongTotal : 1);
            if (maxStrongShare is { } max)
            {
                if (point.StrongShare <= max + 1e-12)
                {
                    best = (threshold, point); // keep lowering the threshold while the share allows
                }
                else
                {
                    break;
                }
            }
            else if (point.QualityKept >= targetQuality - 1e-12)
            {
                return (threshold, point);
            }
            else
            {
                best = (threshold, point);
            }
        }

        return best ?? (candidates[0], new LearnedRouter.OperatingPoint(0, 0));
    }

    /// <summary>For shares 0%, 1%, …, 100%: the threshold that sent that share of held-out rows to the strongest tier (two-tier reading).</summary>
    public static double[] ShareThresholds(double[][] predictions)
    {
        var scores = predictions.Where(p => p is not null).Select(p => p[^1]).OrderByDescending(s => s).ToArray();
        var result = new double[101];
        for (var s = 0; s <= 100; s++)
        {
            var k = (int)Math.Round(s / 100.0 * scores.Length);
            result[s] = k == 0 ? Math.Min(1, scores[0] + 1e-9) : k >= scores.Length ? Math.Max(0, scores[^1] - 1e-9) : (scores[k - 1] + scores[k]) / 2;
        }

        return result;
    }
}
