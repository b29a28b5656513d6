namespace TokenGovernor;

/// <summary>How well a score orders requests for routing between a weak and a strong tier.</summary>
internal static class RouterEvaluation
{
    /// <summary>
    /// APGR: the mean over strong-tier shares 0%, 1%, …, 100% of (quality − weak quality) / (strong quality − weak quality), where
    /// the highest-scored share of requests goes to the strong tier (ties broken by input order, so a constant score is the
    /// input order's routing). Random routing scores about 0.5; a perfect order scores near 1.
    /// </summary>
    public static double Apgr(IReadOnlyList<double> scores, IReadOnlyList<double> weak, IReadOnlyList<double> strong)
    {
        var curve = Curve(scores, weak, strong);
        var weakTotal = weak.Sum();
        var strongTotal = strong.Sum();
        var gap = strongTotal - weakTotal;
        if (gap == 0)
        {
            return double.NaN;
        }

        return curve.Average(q => (q - weakTotal) / gap);
    }

    /// <summary>Total quality at strong shares 0%, 1%, …, 100%.</summary>
    public static double[] Curve(IReadOnlyList<double> scores, IReadOnlyList<double> weak, IReadOnlyList<double> strong)
    {
        var n = scores.Count;
        var order = Enumerable.Range(0, n).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        var prefix = new double[n + 1];
        prefix[0] = weak.Sum();
        for (var k = 0; k < n; k++)
        {
            prefix[k + 1] = prefix[k] + strong[order[k]] - weak[order[k]];
        }

        var curve = new double[101];
        for (var s = 0; s <= 100; s++)
        {
            curve[s] = prefix[(int)Math.Round(s / 100.0 * n)];
        }

        return curve;
    }

    /// <summary>The smallest strong share (in 1% steps) whose quality keeps <paramref name="target"/> of the all-strong quality.</summary>
    public static double StrongShareFor(double target, IReadOnlyList<double> scores, IReadOnlyList<double> weak, IReadOnlyList<double> strong)
    {
        var curve = Curve(scores, weak, strong);
        var strongTotal = strong.Sum();
        for (var s = 0; s <= 100; s++)
        {
            if (curve[s] >= (target * strongTotal) - 1e-9)
            {
                return s / 100.0;
            }
        }

        return 1;
    }
}
