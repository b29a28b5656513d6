using System.Numerics.Tensors;
using System.Text.Json;

namespace TokenGovernor;

/// <summary>
/// A tiny multi-layer perceptron head over the router's standardised dense features (rule signals and embedding): one tanh
/// hidden layer, one sigmoid output per tier predicting that tier's quality. Full-batch Adam from a seeded start; sums run in a
/// fixed order, so the same rows and seed give the same weights.
/// </summary>
internal sealed class RouterMlp
{
    private const double LearningRate = 0.01;
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;

    public RouterMlp(int inputs, int hidden, int outputs, float[] w1, float[] b1, float[] w2, float[] b2)
    {
        Inputs = inputs;
        Hidden = hidden;
        Outputs = outputs;
        W1 = w1;
        B1 = b1;
        W2 = w2;
        B2 = b2;
    }

    public int Inputs { get; }

    public int Hidden { get; }

    public int Outputs { get; }

    /// <summary>Hidden-major input weights (hidden × inputs).</summary>
    public float[] W1 { get; }

    public float[] B1 { get; }

    /// <summary>Output-major hidden weights (outputs × hidden).</summary>
    public float[] W2 { get; }

    public float[] B2 { get; }

    /// <summary>Per output, the predicted quality for one standardised input row.</summary>
    public void Predict(ReadOnlySpan<float> x, Span<double> q)
    {
        Span<float> h = stackalloc float[Hidden];
        for (var j = 0; j < Hidden; j++)
        {
            h[j] = MathF.Tanh(TensorPrimitives.Dot(x, W1.AsSpan(j * Inputs, Inputs)) + B1[j]);
        }

        for (var t = 0; t < Outputs; t++)
        {
            q[t] = RouterModel.Sigmoid(TensorPrimitives.Dot(h, W2.AsSpan(t * Hidden, Hidden)) + B2[t]);
        }
    }

    /// <summary>Fits on standardised rows <paramref name="x"/> (row-major, <paramref name="inputs"/> wide) against
    /// <paramref name="targets"/> (per row, per output; NaN where the row does not teach the output).</summary>
    public static RouterMlp Fit(float[] x, int inputs, double[][] targets, int outputs, int hidden, int steps, double l2, int seed)
    {
        var n = x.Length / inputs;
        var random = new Random(seed);
        var w1 = new float[hidden * inputs];
        var initScale = 1 / Math.Sqrt(inputs);
        for (var i = 0; i < w1.Length; i++)
        {
            w1[i] = (float)(Gaussian(random) * initScale);
        }

        var b1 = new float[hidden];
        var w2 = new float[outputs * hidden];
        for (var i = 0; i < w2.Length; i++)
        {
            w2[i] = (float)(Gaussian(random) * 0.1 / Math.Sqrt(hidden));
        }

        var b2 = new float[outputs];
        var counts = new double[outputs];
        for (var t = 0; t < outputs; t++)
        {
            var sum = 0.0;
            for (var r = 0; r < n; r++)
            {
                if (!double.IsNaN(targets[r][t]))
                {
                    sum += targets[r][t];
                    counts[t]++;
                }
            }

            var mean = Math.Clamp(sum / Math.Max(1, counts[t]), 1e-3, 1 - 1e-3);
            b2[t] = (float)Math.Log(mean / (1 - mean));
            counts[t] = Math.Max(1, counts[t]);
        }

        var adam1 = new AdamState(w1.Length);
        var adamB1 = new AdamState(hidden);
        var adam2 = new AdamState(w2.Length);
        var adamB2 = new AdamState(outputs);
        var g1 = new float[w1.Length];
        var gb1 = new float[hidden];
        var g2 = new float[w2.Length];
        var gb2 = new float[outputs];
        var h = new float[hidden];
        var dh = new float[hidden];
        for (var step = 1; step <= steps; step++)
        {
            Array.Clear(g1);
            Array.Clear(gb1);
            Array.Clear(g2);
            Array.Clear(gb2);
            for (var r = 0; r < n; r++)
            {
                var row = x.AsSpan(r * inputs, inputs);
                for (var j = 0; j < hidden; j++)
                {
                    h[j] = MathF.Tanh(TensorPrimitives.Dot(row, w1.AsSpan(j * inputs, inputs)) + b1[j]);
                }

                Array.Clear(dh);
                var any = false;
                for (var t = 0; t < outputs; t++)
                {
                    var y = targets[r][t];
                    if (double.IsNaN(y))
                    {
                        continue;
                    }

                    any = true;
                    var z = TensorPrimitives.Dot(h, w2.AsSpan(t * hidden, hidden)) + b2[t];
                    var g = (float)((RouterModel.Sigmoid(z) - y) / counts[t]);
                    gb2[t] += g;
                    TensorPrimitives.MultiplyAdd(h, g, g2.AsSpan(t * hidden, hidden), g2.AsSpan(t * hidden, hidden));
                    TensorPrimitives.MultiplyAdd(w2.AsSpan(t * hidden, hidden), g, dh, dh);
                }

                if (!any)
                {
                    continue;
                }

                for (var j = 0; j < hidden; j++)
                {
                    var da = dh[j] * (1 - (h[j] * h[j]));
                    if (da == 0)
                    {
                        continue;
                    }

                    gb1[j] += da;
                    TensorPrimitives.MultiplyAdd(row, da, g1.AsSpan(j * inputs, inputs), g1.AsSpan(j * inputs, inputs));
                }
            }

            var c1 = 1 - Math.Pow(Beta1, step);
            var c2 = 1 - Math.Pow(Beta2, step);
            adam1.Step(w1, g1, l2, c1, c2);
            adamB1.Step(b1, gb1, 0, c1, c2);
            adam2.Step(w2, g2, l2, c1, c2);
            adamB2.Step(b2, gb2, 0, c1, c2);
        }

        return new RouterMlp(inputs, hidden, outputs, w1, b1, w2, b2);
    }

    /// <summary>Writes the <c>mlp</c> object of a router file (version 4).</summary>
    public void Write(Utf8JsonWriter w, double weight)
    {
        w.WriteStartObject("mlp");
        w.WriteNumber("weight", weight);
        w.WriteNumber("inputs", Inputs);
        w.WriteNumber("hidden", Hidden);
        w.WriteNumber("outputs", Outputs);
        w.WriteString("w1_f32le", LearnedRouter.Pack(W1));
        LearnedRouter.WriteFloats(w, "b1", B1);
        LearnedRouter.WriteFloats(w, "w2", W2);
        LearnedRouter.WriteFloats(w, "b2", B2);
        w.WriteEndObject();
    }

    /// <summary>Reads the <c>mlp</c> object of a router file, checking its shape against the router's.</summary>
    public static (RouterMlp Mlp, double Weight) Read(JsonElement e, int inputs, int outputs, string source)
    {
        var hidden = e.GetProperty("hidden").GetInt32();
        var weight = e.GetProperty("weight").GetDouble();
        if (e.GetProperty("inputs").GetInt32() != inputs || e.GetProperty("outputs").GetInt32() != outputs || hidden is < 1 or > 1024
            || !double.IsFinite(weight) || weight is < 0 or > 1)
        {
            throw new FormatException($"{source} has an mlp head that does not fit the router ({inputs} inputs, {outputs} tiers, weight in [0, 1]).");
        }

        return (new RouterMlp(inputs, hidden, outputs,
            LearnedRouter.Unpack(e.GetProperty("w1_f32le").GetString() ?? string.Empty, hidden * inputs, source),
            LearnedRouter.ReadFloats(e.GetProperty("b1"), hidden, source),
            LearnedRouter.ReadFloats(e.GetProperty("w2"), outputs * hidden, source),
            LearnedRouter.ReadFloats(e.GetProperty("b2"), outputs, source)), weight);
    }

    private static double Gaussian(Random random)
    {
        var u1 = 1 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private sealed class AdamState(int size)
    {
        private readonly double[] _m = new double[size];
        private readonly double[] _v = new double[size];

        public void Step(float[] w, float[] g, double l2, double c1, double c2)
        {
            for (var i = 0; i < w.Length; i++)
            {
                var grad = g[i] + (l2 * w[i]);
                _m[i] = (Beta1 * _m[i]) + ((1 - Beta1) * grad);
                _v[i] = (Beta2 * _v[i]) + ((1 - Beta2) * grad * grad);
                w[i] -= (float)(LearningRate * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + Epsilon));
            }
        }
    }
}
