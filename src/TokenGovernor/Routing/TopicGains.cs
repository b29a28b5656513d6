namespace TokenGovernor;

/// <summary>
/// What each topic cluster learned: per clustering, per cluster, per head, the mean soft label (the probability form of the
/// tier's quality gain) of the training requests in it, shrunk toward the mean of all of them by <see cref="Shrinkage"/>
/// pseudo-requests; and the weight <see cref="Blend"/> of the topic prior against the logistic model.
/// </summary>
/// <param name="Topics">The clusterings.</param>
/// <param name="Gains">Per clustering: cluster-major, head-minor gains.</param>
/// <param name="Base">Per head: the mean over all training requests, for a request no cluster claims.</param>
/// <param name="Blend">The weight of the topic prior in the router's score, in [0, 1], chosen on held-out folds.</param>
internal sealed record TopicGains(RouterTopics Topics, float[][] Gains, float[] Base, double Blend)
{
    /// <summary>The weight of the overall mean in a cluster's gain, in requests: a cluster of 20 requests is half its own mean.</summary>
    public const double Shrinkage = 20;

    /// <summary>The blend weights tried on held-out folds.</summary>
    public static readonly double[] Blends = [0, 0.25, 0.5, 0.75, 0.9, 1];

    /// <summary>Learns the gains of <paramref name="subset"/>'s requests.</summary>
    /// <param name="topics">The clusterings.</param>
    /// <param name="assignments">Per request, its cluster in each clustering (-1 for none).</param>
    /// <param name="targets">Per request, per head: the soft label, or NaN.</param>
    /// <param name="subset">The requests to learn from.</param>
    /// <param name="heads">The number of heads.</param>
    /// <returns>The gains, with blend 0 (set it with <c>with</c>).</returns>
    public static TopicGains Learn(RouterTopics topics, int[][] assignments, double[][] targets, IReadOnlyList<int> subset, int heads)
    {
        var baseline = new float[heads];
        for (var h = 0; h < heads; h++)
        {
            double sum = 0;
            var count = 0;
            foreach (var i in subset)
            {
                if (!double.IsNaN(targets[i][h]))
                {
                    sum += targets[i][h];
                    count++;
                }
            }

            baseline[h] = count == 0 ? 0.5f : (float)(sum / count);
        }

        var gains = new float[topics.Clusterings][];
        for (var c = 0; c < gains.Length; c++)
        {
            var k = topics.ClusterCount(c);
            var sums = new double[k * heads];
            var counts = new int[k * heads];
            foreach (var i in subset)
            {
                var cluster = assignments[i][c];
                if (cluster < 0)
                {
                    continue;
                }

                for (var h = 0; h < heads; h++)
                {
                    if (!double.IsNaN(targets[i][h]))
                    {
                        sums[(cluster * heads) + h] += targets[i][h];
                        counts[(cluster * heads) + h]++;
                    }
                }
            }

            gains[c] = new float[k * heads];
            for (var j = 0; j < gains[c].Length; j++)
            {
                gains[c][j] = (float)((sums[j] + (Shrinkage * baseline[j % heads])) / (counts[j] + Shrinkage));
            }
        }

        return new TopicGains(topics, gains, baseline, 0);
    }

    /// <summary>The topic prior of a request in cluster <paramref name="clusters"/>: per head, the mean of its clusters' gains.</summary>
    /// <param name="clusters">The request's cluster in each clustering.</param>
    /// <param name="prior">Receives one value per head.</param>
    public void Prior(ReadOnlySpan<int> clusters, Span<double> prior)
    {
        var heads = Base.Length;
        prior.Clear();
        for (var c = 0; c < Gains.Length; c++)
        {
            for (var h = 0; h < heads; h++)
            {
                prior[h] += clusters[c] < 0 ? Base[h] : Gains[c][(clusters[c] * heads) + h];
            }
        }

        for (var h = 0; h < heads; h++)
        {
            prior[h] /= Math.Max(1, Gains.Length);
        }
    }
}
