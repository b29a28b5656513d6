namespace TokenGovernor;

/// <summary>
/// Fits a <see cref="RouterModel"/>: full-batch Adam on the soft-label logistic loss of each head plus an L2 penalty. Sums run in
/// a fixed order, so the same rows and options give the same weights bit for bit.
/// </summary>
internal static class RouterTrainer
{
    private const double LearningRate = 0.02;
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;

    /// <param name="features">The feature layout.</param>
    /// <param name="rows">All rows.</param>
    /// <param name="subset">The rows to fit on.</param>
    /// <param name="targets">Per row, per head: the soft label in [0, 1], or NaN when the row does not teach that head.</param>
    /// <param name="headTiers">The head tiers' names.</param>
    /// <param name="l2">The L2 penalty.</param>
    /// <param name="iterations">Gradient steps.</param>
    /// <param name="embeddingScale">The weight of the embedding block relative to the rule features (applied after standardising).</param>
    public static RouterModel Fit(RouterFeatures features, IReadOnlyList<FeatureRow> rows, IReadOnlyList<int> subset, double[][] targets,
        string[] headTiers, double l2, int iterations, double embeddingScale)
    {
        var dims = features.DenseCount;
        var (mean, scale) = Standardise(features, rows, subset, embeddingScale);
        var heads = headTiers.Length;
        var sparseDims = features.HashDimensions;

        // Standardised dense values once, row-major, for the rows being fitted.
        var x = new float[subset.Count * dims];
        for (var r = 0; r < subset.Count; r++)
        {
            var dense = rows[subset[r]].Dense;
            for (var d = 0; d < dims; d++)
            {
                x[(r * dims) + d] = (dense[d] - mean[d]) * scale[d];
            }
        }

        var counts = new double[heads];
        for (var r = 0; r < subset.Count; r++)
        {
            for (var h = 0; h < heads; h++)
            {
                counts[h] += double.IsNaN(targets[subset[r]][h]) ? 0 : 1;
            }
        }

        var result = new RouterHead[heads];
        for (var h = 0; h < heads; h++)
        {
            var ws = new double[sparseDims];
            var wd = new double[dims];
            var b = 0.0;
            var gs = new double[sparseDims];
            var gd = new double[dims];
            var ms = new double[sparseDims];
            var vs = new double[sparseDims];
            var md = new double[dims];
            var vd = new double[dims];
            double mb = 0, vb = 0;
            var n = Math.Max(1, counts[h]);

            // Start from the mean label, so the first steps learn the features rather than the base rate.
            var meanLabel = 0.0;
            foreach (var i in subset)
            {
                meanLabel += double.IsNaN(targets[i][h]) ? 0 : targets[i][h];
            }

            meanLabel = Math.Clamp(meanLabel / n, 1e-3, 1 - 1e-3);
            b = Math.Log(meanLabel / (1 - meanLabel));

            for (var step = 1; step <= iterations; step++)
            {
                Array.Clear(gs);
                Array.Clear(gd);
                var gb = 0.0;
                for (var r = 0; r < subset.Count; r++)
                {
                    var y = targets[subset[r]][h];
                    if (double.IsNaN(y))
                    {
                        continue;
                    }

                    var row = rows[subset[r]];
                    var z = b;
                    for (var j = 0; j < row.Indices.Length; j++)
                    {
                        z += ws[row.Indices[j]] * row.Values[j];
                    }

                    var offset = r * dims;
                    for (var d = 0; d < dims; d++)
                    {
                        z += wd[d] * x[offset + d];
                    }

                    var g = (RouterModel.Sigmoid(z) - y) / n;
                    gb += g;
                    for (var j = 0; j < row.Indices.Length; j++)
                    {
                        gs[row.Indices[j]] += g * row.Values[j];
                    }

                    for (var d = 0; d < dims; d++)
                    {
                        gd[d] += g * x[offset + d];
                    }
                }

                var c1 = 1 - Math.Pow(Beta1, step);
                var c2 = 1 - Math.Pow(Beta2, step);
                Adam(ws, gs, ms, vs, l2, c1, c2);
                Adam(wd, gd, md, vd, l2, c1, c2);
                mb = (Beta1 * mb) + ((1 - Beta1) * gb);
                vb = (Beta2 * vb) + ((1 - Beta2) * gb * gb);
                b -= LearningRate * (mb / c1) / (Math.Sqrt(vb / c2) + Epsilon);
            }

            result[h] = new RouterHead(headTiers[h], (float)b, ToFloat(ws), ToFloat(wd));
        }

        return new RouterModel(features, mean, scale, result);
    }

    private static void Adam(double[] w, double[] g, double[] m, double[] v, double l2, double c1, double c2)
    {
        for (var i = 0; i < w.Length; i++)
        {
            var grad = g[i] + (l2 * w[i]);
            if (grad == 0 && m[i] == 0)
            {
                continue; // a feature never seen in these rows, and at zero: nothing to do
            }

            m[i] = (Beta1 * m[i]) + ((1 - Beta1) * grad);
            v[i] = (Beta2 * v[i]) + ((1 - Beta2) * grad * grad);
            w[i] -= LearningRate * (m[i] / c1) / (Math.Sqrt(v[i] / c2) + Epsilon);
        }
    }

    private static (float[] Mean, float[] Scale) Standardise(RouterFeatures features, IReadOnlyList<FeatureRow> rows, IReadOnlyList<int> subset, double embeddingScale)
    {
        var dims = features.DenseCount;
        var mean = new double[dims];
        var sq = new double[dims];
        foreach (var i in subset)
        {
            var dense = rows[i].Dense;
            for (var d = 0; d < dims; d++)
            {
                mean[d] += dense[d];
            }
        }

        var n = Math.Max(1, subset.Count);
        for (var d = 0; d < dims; d++)
        {
            mean[d] /= n;
        }

        foreach (var i in subset)
        {
            var dense = rows[i].Dense;
            for (var d = 0; d < dims; d++)
            {
                var delta = dense[d] - mean[d];
                sq[d] += delta * delta;
            }
        }

        var scale = new float[dims];
        for (var d = 0; d < dims; d++)
        {
            var std = Math.Sqrt(sq[d] / n);
            var block = d < RouterFeatures.RuleCount ? 1.0 : embeddingScale;
            scale[d] = std < 1e-9 ? 0 : (float)(block / std);
        }

        return (ToFloat(mean), scale);
    }

    private static float[] ToFloat(double[] values)
    {
        var result = new float[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = (float)values[i];
        }

        return result;
    }
}
