namespace TokenGovernor;

/// <summary>
/// The weights of a learned router: logistic heads over sparse hashed n-grams and standardised dense features, either one per tier
/// predicting its quality (<see cref="QualityHeads"/>; a tier's gain is the difference from the cheapest tier's) or one per tier
/// above the cheapest predicting its gain directly (<c>p = (gain + 1) / 2</c>); and, optionally, the topic prior
/// (<see cref="TopicGains"/>), blended with the heads' output.
/// </summary>
internal sealed class RouterModel
{
    public RouterModel(RouterFeatures features, float[] denseMean, float[] denseScale, RouterHead[] heads, TopicGains? topics = null)
    {
        Features = features;
        DenseMean = denseMean;
        DenseScale = denseScale;
        Heads = heads;
        Topics = topics;
    }

    /// <summary>Gets the topic prior, or <see langword="null"/> for a router without one.</summary>
    public TopicGains? Topics { get; }

    /// <summary>This model with another topic prior.</summary>
    public RouterModel WithTopics(TopicGains? topics) => Copy(topics, QualityHeads, WeakWeight);

    /// <summary>The weights of the cheapest tier's head tried on held-out folds (quality heads only); 1 first, so ties keep it.</summary>
    public static readonly double[] WeakWeights = [1, 0.7, 0.85, 1.15, 1.3, 1.5];

    /// <summary>Gets the weight of the cheapest tier's head in a quality-head gain: <c>(q(t) − w × q(cheapest) + 1) / 2</c>. 1 is the
    /// plain predicted gain; the weight is chosen on held-out folds, because how well each head ranks requests differs.</summary>
    public double WeakWeight { get; init; } = 1;

    /// <summary>This model with another <see cref="WeakWeight"/>.</summary>
    public RouterModel WithWeakWeight(double weight) => Copy(Topics, QualityHeads, weight);

    /// <summary>Gets whether there is one head per tier, cheapest first, each predicting that tier's quality (file version 3), rather
    /// than one head per tier above the cheapest predicting its gain (versions 1 and 2).</summary>
    public bool QualityHeads { get; init; }

    /// <summary>Gets the number of predicted gains: the tiers above the cheapest.</summary>
    public int Outputs => QualityHeads ? Heads.Length - 1 : Heads.Length;

    /// <summary>This model, its heads read as per-tier quality heads.</summary>
    public RouterModel AsQualityHeads() => Copy(Topics, qualityHeads: true, WeakWeight);

    private RouterModel Copy(TopicGains? topics, bool qualityHeads, double weakWeight) =>
        new(Features, DenseMean, DenseScale, Heads, topics) { QualityHeads = qualityHeads, WeakWeight = weakWeight, Mlp = Mlp, MlpWeight = MlpWeight };

    /// <summary>Gets the MLP head (quality heads only), or <see langword="null"/>.</summary>
    public RouterMlp? Mlp { get; init; }

    /// <summary>Gets the weight of the MLP head's qualities against the logistic heads' (0 = logistic only).</summary>
    public double MlpWeight { get; init; }

    /// <summary>This model with an MLP head mixed in at <paramref name="weight"/>.</summary>
    public RouterModel WithMlp(RouterMlp? mlp, double weight) =>
        new(Features, DenseMean, DenseScale, Heads, Topics) { QualityHeads = QualityHeads, WeakWeight = WeakWeight, Mlp = mlp, MlpWeight = weight };

    public RouterFeatures Features { get; }

    public float[] DenseMean { get; }

    public float[] DenseScale { get; }

    /// <summary>Gets the heads, for tiers 1..k-1 in order.</summary>
    public RouterHead[] Heads { get; }

    /// <summary>The probability form of each tier's predicted gain, for tiers 1..k-1: the heads' output, blended with the topic
    /// prior of the request's clusters <paramref name="clusters"/> (ignored without a topic prior).</summary>
    public void Predict(in FeatureRow row, ReadOnlySpan<int> clusters, Span<double> p)
    {
        PredictLinear(row, p);
        if (Topics is { Blend: > 0 } topics)
        {
            Span<double> prior = stackalloc double[p.Length];
            topics.Prior(clusters, prior);
            for (var h = 0; h < p.Length; h++)
            {
                p[h] = (topics.Blend * prior[h]) + ((1 - topics.Blend) * p[h]);
            }
        }
    }

    /// <summary>The heads' output alone: the probability form of each tier's predicted gain, for tiers 1..k-1. Quality heads give
    /// <c>(quality(t) − WeakWeight × quality(cheapest) + 1) / 2</c>.</summary>
    public void PredictLinear(in FeatureRow row, Span<double> p)
    {
        if (QualityHeads)
        {
            Span<double> q = stackalloc double[Heads.Length];
            HeadOutputs(row, q);
            if (Mlp is { } mlp && MlpWeight > 0)
            {
                Span<double> m = stackalloc double[Heads.Length];
                MlpOutputs(mlp, row, m);
                for (var t = 0; t < q.Length; t++)
                {
                    q[t] = ((1 - MlpWeight) * q[t]) + (MlpWeight * m[t]);
                }
            }

            Gains(q, WeakWeight, p);
            return;
        }

        HeadOutputs(row, p);
    }

    /// <summary>The heads' output for each (weak weight, MLP weight) pair of <paramref name="combos"/>.</summary>
    public void PredictLinear(in FeatureRow row, IReadOnlyList<(double Weak, double Mlp)> combos, double[][] p)
    {
        if (!QualityHeads)
        {
            HeadOutputs(row, p[0]);
            for (var a = 1; a < p.Length; a++)
            {
                p[0].CopyTo(p[a], 0);
            }

            return;
        }

        Span<double> q = stackalloc double[Heads.Length];
        Span<double> m = stackalloc double[Heads.Length];
        Span<double> mixed = stackalloc double[Heads.Length];
        HeadOutputs(row, q);
        if (Mlp is { } mlp)
        {
            MlpOutputs(mlp, row, m);
        }

        for (var a = 0; a < p.Length; a++)
        {
            var w = Mlp is null ? 0 : combos[a].Mlp;
            for (var t = 0; t < q.Length; t++)
            {
                mixed[t] = ((1 - w) * q[t]) + (w * m[t]);
            }

            Gains(mixed, combos[a].Weak, p[a]);
        }
    }

    private void MlpOutputs(RouterMlp mlp, in FeatureRow row, Span<double> q)
    {
        Span<float> x = stackalloc float[row.Dense.Length];
        for (var d = 0; d < x.Length; d++)
        {
            x[d] = (row.Dense[d] - DenseMean[d]) * DenseScale[d];
        }

        mlp.Predict(x, q);
    }

    // Quality heads' outputs q (cheapest tier first) as the probability form of each higher tier's gain.
    private static void Gains(ReadOnlySpan<double> q, double weakWeight, Span<double> p)
    {
        for (var h = 0; h < p.Length; h++)
        {
            p[h] = (q[h + 1] - (weakWeight * q[0]) + 1) / 2;
        }
    }

    private void HeadOutputs(in FeatureRow row, Span<double> p)
    {
        for (var h = 0; h < Heads.Length; h++)
        {
            var head = Heads[h];
            var z = (double)head.Bias;
            for (var j = 0; j < row.Indices.Length; j++)
            {
                z += head.Sparse[row.Indices[j]] * row.Values[j];
            }

            for (var d = 0; d < row.Dense.Length; d++)
            {
                z += head.Dense[d] * ((row.Dense[d] - DenseMean[d]) * DenseScale[d]);
            }

            p[h] = Sigmoid(z);
        }
    }

    public static double Sigmoid(double z) => z >= 0 ? 1 / (1 + Math.Exp(-z)) : Math.Exp(z) / (1 + Math.Exp(z));

    /// <summary>
    /// The tier for predicted gains <paramref name="p"/> (tiers 1..k-1) at score threshold <paramref name="threshold"/>: the
    /// cheapest tier whose predicted quality is within <c>threshold - 0.5</c> (in probability units) of the strongest tier's. With
    /// two tiers: the strongest tier exactly when its score is above the threshold.
    /// </summary>
    public static int Choose(ReadOnlySpan<double> p, double threshold)
    {
        var top = p[^1];
        var margin = threshold - 0.5;
        if (top - 0.5 <= margin)
        {
            return 0;
        }

        for (var t = 1; t < p.Length; t++)
        {
            if (top - p[t - 1] <= margin)
            {
                return t;
            }
        }

        return p.Length;
    }
}

/// <summary>One tier's head: bias, sparse weights (hashed n-grams) and dense weights (on standardised values).</summary>
internal sealed record RouterHead(string Tier, float Bias, float[] Sparse, float[] Dense);
