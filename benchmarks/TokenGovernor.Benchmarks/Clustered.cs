namespace TokenGovernor.Benchmarks;

/// <summary>
/// Rows shaped like sentence embeddings (all-MiniLM-L6-v2 and kin) rather than uniform noise: every row shares one direction
/// (unrelated sentences have cosine ≈ 0.15, not 0), rows fall into topics of 48 (same topic ≈ 0.5) and, inside a topic, into
/// groups of 4 paraphrases (same group ≈ 0.8). Weights² 0.15 / 0.35 / 0.30 / 0.20 for common, topic, group and own direction.
/// </summary>
internal sealed class Clustered
{
    private const int TopicSize = 48;
    private const int GroupSize = 4;
    private static readonly float[] s_weights = [MathF.Sqrt(0.15f), MathF.Sqrt(0.35f), MathF.Sqrt(0.30f), MathF.Sqrt(0.20f)];
    private readonly int _dims;
    private readonly float[] _common;
    private readonly float[][] _topics;
    private readonly float[][] _groups;

    private Clustered(int rows, int dims, int seed)
    {
        _dims = dims;
        var g = new Generator(dims, seed);
        _common = g.Unit(1)[0];
        _topics = g.Unit((rows + TopicSize - 1) / TopicSize);
        _groups = g.Unit((rows + GroupSize - 1) / GroupSize);
        Rows = new float[rows * dims];
        var own = new float[dims];
        for (var r = 0; r < rows; r++)
        {
            g.FillUnit(own);
            Compose(r, own, Rows.AsSpan(r * dims, dims));
        }

        Count = rows;
    }

    public float[] Rows { get; }

    public int Count { get; }

    public static Clustered Create(int rows, int dims, int seed) => new(rows, dims, seed);

    /// <summary>A stored row plus noise of weight² 0.25 (cosine to it ≈ 0.89, to its siblings ≈ 0.72): a re-asked question.</summary>
    public float[][] NearCopyQueries(int count, int seed)
    {
        var g = new Generator(_dims, seed);
        var random = new Random(seed);
        var noise = new float[_dims];
        return Enumerable.Range(0, count).Select(_ =>
        {
            var target = random.Next(Count);
            g.FillUnit(noise);
            return Enumerable.Range(0, _dims).Select(d => Rows[(target * _dims) + d] + (0.5f * noise[d])).ToArray();
        }).ToArray();
    }

    /// <summary>A new member of a stored group (its own direction is new): its nearest rows are four siblings at cosine ≈ 0.8 ± noise.</summary>
    public float[][] ParaphraseQueries(int count, int seed)
    {
        var g = new Generator(_dims, seed);
        var random = new Random(seed);
        var own = new float[_dims];
        return Enumerable.Range(0, count).Select(_ =>
        {
            var q = new float[_dims];
            g.FillUnit(own);
            Compose(random.Next(Count), own, q);
            return q;
        }).ToArray();
    }

    private void Compose(int row, ReadOnlySpan<float> own, Span<float> destination)
    {
        var topic = _topics[row / TopicSize];
        var group = _groups[row / GroupSize];
        for (var d = 0; d < _dims; d++)
        {
            destination[d] = (s_weights[0] * _common[d]) + (s_weights[1] * topic[d]) + (s_weights[2] * group[d]) + (s_weights[3] * own[d]);
        }
    }

    /// <summary>Random unit vectors (normalised Gaussians, so directions are uniform).</summary>
    internal sealed class Generator(int dims, int seed)
    {
        private readonly Random _random = new(seed);

        public float[][] Unit(int count) => Enumerable.Range(0, count).Select(_ =>
        {
            var v = new float[dims];
            FillUnit(v);
            return v;
        }).ToArray();

        public void FillUnit(Span<float> v)
        {
            var norm = 0.0;
            for (var d = 0; d < v.Length; d++)
            {
                // Box-Muller.
                var x = Math.Sqrt(-2 * Math.Log(1 - _random.NextDouble())) * Math.Cos(2 * Math.PI * _random.NextDouble());
                v[d] = (float)x;
                norm += x * x;
            }

            var inverse = (float)(1 / Math.Sqrt(norm));
            for (var d = 0; d < v.Length; d++)
            {
                v[d] *= inverse;
            }
        }
    }
}
