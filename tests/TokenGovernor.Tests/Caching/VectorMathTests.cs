using System.Numerics;

namespace TokenGovernor.Tests.Caching;

/// <summary>
/// Every scan kernel against the scalar baseline. Kernels this CPU cannot run are reported by
/// <see cref="Kernels_Dispatch_PicksSupportedKernels"/> and skipped in the loops (the AVX-VNNI int8 kernel needs AVX-VNNI,
/// absent on AMD Zen 4); run the suite with <c>DOTNET_EnableAVX512F=0</c> or <c>DOTNET_EnableAVX2=0</c> to also test the
/// dispatch of the narrower ones.
/// </summary>
public class VectorMathTests
{
    private static readonly int[] s_dims = [1, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 384, 385, 768, 1000];

    private static IEnumerable<ScanKernel> Supported(bool int8) =>
        Enum.GetValues<ScanKernel>().Where(k => VectorMath.IsSupported(k, int8));

    [Fact]
    public void Kernels_Dispatch_PicksSupportedKernels()
    {
        Assert.True(VectorMath.IsSupported(VectorMath.FloatKernel, int8: false));
        Assert.True(VectorMath.IsSupported(VectorMath.Int8Kernel, int8: true));
        Assert.Contains(ScanKernel.Scalar, Supported(int8: true));
    }

    [Fact]
    public void DotRows_EveryKernel_EqualsScalarWithin1e5()
    {
        var random = new Random(11);
        foreach (var dims in s_dims)
        {
            const int rows = 9;
            var q = Unit(random, dims);
            var data = Enumerable.Range(0, rows).SelectMany(_ => Unit(random, dims)).ToArray();
            var expected = new float[rows];
            VectorMath.DotRows(q, data, expected, ScanKernel.Scalar);
            foreach (var kernel in Supported(int8: false))
            {
                var actual = new float[rows];
                VectorMath.DotRows(q, data, actual, kernel);
                for (var r = 0; r < rows; r++)
                {
                    Assert.True(Math.Abs(expected[r] - actual[r]) <= 1e-5f, $"{kernel}, {dims} dims, row {r}: {actual[r]} vs scalar {expected[r]}");
                }
            }
        }
    }

    [Fact]
    public void DotRowsInt8_EveryKernel_EqualsScalarExactly()
    {
        var random = new Random(12);
        foreach (var dims in s_dims)
        {
            const int rows = 9;
            var q = Bytes(random, dims);
            var data = Bytes(random, dims * rows);
            var expected = new int[rows];
            VectorMath.DotRowsInt8(q, data, expected, ScanKernel.Scalar);
            foreach (var kernel in Supported(int8: true))
            {
                var actual = new int[rows];
                VectorMath.DotRowsInt8(q, data, actual, kernel);
                Assert.True(expected.SequenceEqual(actual), $"{kernel}, {dims} dims: [{string.Join(",", actual)}] vs scalar [{string.Join(",", expected)}]");
            }
        }
    }

    [Fact]
    public void DotInt8_ExtremeValues_DoNotSaturate()
    {
        // 127 × 127 and -127 × -127 in every lane: the largest int16 pair sum vpmaddubsw can produce from the sign trick.
        var a = Enumerable.Repeat((sbyte)-127, 384).ToArray();
        var b = Enumerable.Repeat((sbyte)-127, 384).ToArray();
        foreach (var kernel in Supported(int8: true))
        {
            Assert.Equal(384 * 127 * 127, VectorMath.DotInt8(a, b, kernel));

            // The block kernels (four rows at a time, the query's magnitudes taken once): the same extremes, both signs.
            var rows = a.Concat(a.Select(x => (sbyte)-x)).Concat(a).Concat(a.Select(x => (sbyte)-x)).ToArray();
            var scores = new int[4];
            VectorMath.DotRowsInt8(b, rows, scores, kernel);
            Assert.Equal([384 * 127 * 127, -384 * 127 * 127, 384 * 127 * 127, -384 * 127 * 127], scores);
        }
    }

    [Fact]
    public void Hamming_Codes_CountsDimensionsOnDifferentSidesOfTheCentre()
    {
        var random = new Random(13);
        foreach (var dims in s_dims)
        {
            var centre = Unit(random, dims);
            var x = Unit(random, dims);
            var y = Unit(random, dims);
            var cx = new ulong[VectorMath.CodeWords(dims)];
            var cy = new ulong[VectorMath.CodeWords(dims)];
            VectorMath.Binarize(x, centre, cx);
            VectorMath.Binarize(y, centre, cy);
            var expected = Enumerable.Range(0, dims).Count(d => (x[d] > centre[d]) != (y[d] > centre[d]));
            Assert.Equal(expected, VectorMath.Hamming(cx, cy));
            Assert.Equal(0, dims % 64 == 0 ? 0 : BitOperations.PopCount(cx[^1] >> (dims % 64)));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(12)]
    public void HammingRows_AnyCodeLength_EqualsHammingOfEachRow(int words)
    {
        var random = new Random(29 + words);
        const int rows = 37;
        var codes = new ulong[rows * words];
        var code = new ulong[words];
        for (var i = 0; i < codes.Length; i++)
        {
            codes[i] = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 40);
        }

        for (var i = 0; i < words; i++)
        {
            code[i] = (ulong)random.NextInt64();
        }

        var distances = new int[rows];
        VectorMath.HammingRows(codes, code, distances);
        for (var r = 0; r < rows; r++)
        {
            Assert.Equal(VectorMath.Hamming(codes.AsSpan(r * words, words), code), distances[r]);
        }
    }

    [Fact]
    public void HammingRows_CodesShorterThanRows_Throws()
    {
        Assert.Throws<ArgumentException>(() => VectorMath.HammingRows(new ulong[11], new ulong[6], new int[2]));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(191, 191)]
    [InlineData(192, 64)]
    [InlineData(384, 128)]
    [InlineData(385, 128)]
    [InlineData(768, 256)]
    [InlineData(1000, 320)]
    public void HeadDims_Dimensions_IsWholeRowBelow192ElseAboutAThirdInSteps64(int dims, int head) =>
        Assert.Equal(head, VectorMath.HeadDims(dims));

    [Fact]
    public void DotSplit_EveryKernel_EqualsDotRowsOfTheWholeRowExactly()
    {
        var random = new Random(12);
        foreach (var dims in new[] { 192, 200, 256, 384, 385, 448, 768, 1000 })
        {
            var head = VectorMath.HeadDims(dims);
            var q = Unit(random, dims);
            var row = Unit(random, dims);
            foreach (var kernel in Supported(int8: false))
            {
                var whole = new float[1];
                VectorMath.DotRows(q, row, whole, kernel);
                Assert.Equal(whole[0], VectorMath.DotSplit(q, row.AsSpan(0, head), row.AsSpan(head), kernel));
            }
        }
    }

    [Fact]
    public void DotSplitRows_AnyRowCount_EqualsDotSplitOfEachRowExactly()
    {
        var random = new Random(13);
        foreach (var dims in new[] { 192, 200, 320, 384, 385, 768 })
        {
            var head = VectorMath.HeadDims(dims);
            var tail = dims - head;
            for (var rows = 1; rows <= 9; rows++)
            {
                var q = Unit(random, dims);
                var data = Enumerable.Range(0, rows).Select(_ => Unit(random, dims)).ToArray();
                var heads = data.SelectMany(r => r.Take(head)).ToArray();
                var tails = data.SelectMany(r => r.Skip(head)).ToArray();
                var scores = new float[rows];
                var headScores = new float[rows];
                VectorMath.DotSplitRows(q, heads, head, tails, tail, scores);
                VectorMath.DotSplitRows(q.AsSpan(0, head), heads, head, default, 0, headScores);
                for (var r = 0; r < rows; r++)
                {
                    Assert.Equal(VectorMath.DotSplit(q, data[r].AsSpan(0, head), data[r].AsSpan(head)), scores[r]);
                    Assert.Equal(VectorMath.DotSplit(q.AsSpan(0, head), data[r].AsSpan(0, head), default), headScores[r]);
                }
            }
        }
    }

    /// <summary>
    /// The int8 head bound against the float score it stands in for, on dense, sparse (hashing-embedder-like), near-duplicate,
    /// skewed and one-hot rows: the bound must never be below the computed float score of the whole row (so a row skipped for
    /// a bound under the cut-off could never have reached it), and stays within 0.1 of the float head bound (the loosest case: one large value next to many tiny ones, whose int8 rounding errors add up to about 0.05).
    /// </summary>
    [Fact]
    public void HeadBounds_RandomRows_NeverBelowTheFloatScore()
    {
        var random = new Random(17);
        foreach (var dims in new[] { 192, 384, 768 })
        {
            var head = VectorMath.HeadDims(dims);
            var tail = dims - head;
            var slack = VectorMath.BoundSlack(dims);
            for (var round = 0; round < 200; round++)
            {
                var q = Shape(random, dims, round % 5);
                var q8 = new sbyte[head];
                var query = VectorMath.QuantizeQueryHead(q.AsSpan(0, head), q8);
                var queryTail = System.Numerics.Tensors.TensorPrimitives.Norm(q.AsSpan(head));
                const int Rows = 9;
                var rows = Enumerable.Range(0, Rows).Select(i => i == 0 ? Near(random, q) : Shape(random, dims, (round + i) % 5)).ToArray();
                var heads8 = new sbyte[Rows * head];
                var scales = new float[Rows];
                var lengths = new float[Rows];
                var errors = new float[Rows];
                var tailNorms = new float[Rows];
                var blockNorms = Enumerable.Range(0, VectorMath.TailBlocks).Select(_ => new float[Rows + 3]).ToArray();
                var queryBlocks = new float[VectorMath.TailBlocks];
                VectorMath.TailBlockNorms(q.AsSpan(head), queryBlocks);
                var rowBlocks = new float[VectorMath.TailBlocks];
                for (var r = 0; r < Rows; r++)
                {
                    (scales[r], lengths[r], errors[r]) = VectorMath.QuantizeHead(rows[r].AsSpan(0, head), heads8.AsSpan(r * head, head));
                    tailNorms[r] = System.Numerics.Tensors.TensorPrimitives.Norm(rows[r].AsSpan(head));
                    VectorMath.TailBlockNorms(rows[r].AsSpan(head), rowBlocks);
                    for (var k = 0; k < VectorMath.TailBlocks; k++)
                    {
                        blockNorms[k][r + 3] = rowBlocks[k];
                    }
                }

                var dots = new int[Rows];
                VectorMath.DotRowsInt8(q8, heads8, dots);
                var bounds = new float[Rows];
                VectorMath.HeadBounds(query, dots, scales, lengths, errors, blockNorms, 3, queryBlocks, 2 * slack, bounds);
                for (var r = 0; r < Rows; r++)
                {
                    var score = VectorMath.DotSplit(q, rows[r].AsSpan(0, head), rows[r].AsSpan(head));
                    Assert.True(bounds[r] >= score, $"dims {dims} round {round} row {r}: bound {bounds[r]} < score {score}");
                    var floatBound = VectorMath.DotSplit(q.AsSpan(0, head), rows[r].AsSpan(0, head), default) + (queryTail * tailNorms[r]) + slack;
                    Assert.True(bounds[r] - floatBound < 0.1f, $"dims {dims} round {round} row {r}: int8 bound {bounds[r]} far above float bound {floatBound}");
                    Assert.Equal(tail > 0 ? tail : 0, dims - head);
                }
            }
        }
    }

    /// <summary>The vectorised quantisation against the scalar one, on random rows and on values that land exactly on a
    /// half (ties round to even in both), of lengths with and without a scalar remainder.</summary>
    [Fact]
    public void Quantize_AnyRow_EqualsScalarExactly()
    {
        var random = new Random(23);
        foreach (var length in new[] { 1, 31, 32, 33, 64, 128, 384, 385 })
        {
            for (var round = 0; round < 50; round++)
            {
                var row = Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
                if (round % 2 == 1)
                {
                    // Multiples of half a step of the scale 1/127 (max 1): k/2 × (1/127), so ties occur.
                    row = row.Select(_ => random.Next(-254, 255) / 254f).ToArray();
                    row[0] = 1f;
                }

                var expected = new sbyte[length];
                var actual = new sbyte[length];
                Assert.Equal(VectorMath.QuantizeScalar(row, expected), VectorMath.Quantize(row, actual));
                Assert.Equal(expected, actual);
            }
        }
    }

    [Fact]
    public void QuantizeHead_ZeroHead_HasZeroTerms()
    {
        var b = new sbyte[64];
        Assert.Equal((1f, 0f, 0f), VectorMath.QuantizeHead(new float[64], b));
        Assert.All(b, x => Assert.Equal(0, x));
    }

    // Rows of different shapes, unit length: dense uniform, sparse (a few signed entries, like the hashing embedder's),
    // skewed (one large value), one-hot, and dense with tiny values next to one large one.
    private static float[] Shape(Random random, int dims, int shape)
    {
        var v = new float[dims];
        switch (shape)
        {
            case 0:
                for (var i = 0; i < dims; i++)
                {
                    v[i] = (float)((random.NextDouble() * 2) - 1);
                }

                break;
            case 1:
                for (var i = 0; i < 30; i++)
                {
                    v[random.Next(dims)] += random.Next(2) == 0 ? 0.35f : -0.6f;
                }

                break;
            case 2:
                for (var i = 0; i < dims; i++)
                {
                    v[i] = (float)((random.NextDouble() * 2) - 1) * 0.01f;
                }

                v[random.Next(dims)] = 1f;
                break;
            case 3:
                v[random.Next(dims)] = 1f;
                break;
            default:
                for (var i = 0; i < dims; i++)
                {
                    v[i] = (float)(random.NextDouble() * 1e-4);
                }

                v[random.Next(VectorMath.HeadDims(dims))] = -0.9f;
                break;
        }

        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return norm == 0 ? Shape(random, dims, 0) : v.Select(x => x / norm).ToArray();
    }

    // A near-copy of q (small noise), renormalised: a row whose score is close to 1, where the bound matters most.
    private static float[] Near(Random random, float[] q)
    {
        var v = q.Select(x => x + (float)((random.NextDouble() - 0.5) * 1e-3)).ToArray();
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    [Fact]
    public void DotSplit_HeadNotMultipleOf64_Throws() =>
        Assert.Throws<ArgumentException>(() => VectorMath.DotSplit(new float[200], new float[100], new float[100]));

    private static float[] Unit(Random random, int dims)
    {
        var v = Enumerable.Range(0, dims).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var norm = MathF.Sqrt(v.Sum(x => x * x));
        return v.Select(x => x / norm).ToArray();
    }

    private static sbyte[] Bytes(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => (sbyte)random.Next(-127, 128)).ToArray();
}
