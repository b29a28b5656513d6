using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// Top-1 search over 100,000 rows × 384 dimensions on one thread. Baseline: a vectorised pass that only reads the same float
/// bytes (the memory-bandwidth limit of the scan); the int8 path is compared with the same read pass over the int8 bytes.
/// </summary>
[MemoryDiagnoser]
public class VectorSearchBenchmarks
{
    internal const int Rows = 100_000;
    internal const int Dims = 384;
    private float[] _floats = null!;
    private sbyte[] _bytes = null!;
    private float[] _query = null!;
    private VectorIndex<int> _float = null!;
    private VectorIndex<int> _int8 = null!;
    private VectorIndex<int> _binary = null!;
    private VectorMatch<int>[] _result = null!;

    [GlobalSetup]
    public void Setup()
    {
        (_floats, _query) = Data(Rows, Dims, seed: 42);
        _bytes = new sbyte[_floats.Length];
        for (var i = 0; i < _bytes.Length; i++)
        {
            _bytes[i] = (sbyte)Math.Clamp(_floats[i] * 127 / 0.25f, -127, 127);
        }

        _float = Build(_floats, Rows, Dims, quantize: false, parallelThreshold: int.MaxValue);
        _int8 = Build(_floats, Rows, Dims, quantize: true, parallelThreshold: int.MaxValue);
        _binary = Build(_floats, Rows, Dims, quantize: false, parallelThreshold: int.MaxValue, binary: true);
        _result = new VectorMatch<int>[1];
    }

    [Benchmark(Baseline = true)]
    public float MemoryReadFloat32()
    {
        ref var start = ref MemoryMarshal.GetArrayDataReference(_floats);
        var n = _floats.Length;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var i = 0; i <= n - 32; i += 32)
        {
            a0 += Vector256.LoadUnsafe(ref start, (nuint)i);
            a1 += Vector256.LoadUnsafe(ref start, (nuint)(i + 8));
            a2 += Vector256.LoadUnsafe(ref start, (nuint)(i + 16));
            a3 += Vector256.LoadUnsafe(ref start, (nuint)(i + 24));
        }

        return Vector256.Sum(a0 + a1 + a2 + a3);
    }

    [Benchmark]
    public int ScalarFloat32()
    {
        var best = -1;
        var bestScore = float.MinValue;
        for (var r = 0; r < Rows; r++)
        {
            var dot = 0f;
            var offset = r * Dims;
            for (var d = 0; d < Dims; d++)
            {
                dot += _query[d] * _floats[offset + d];
            }

            if (dot > bestScore)
            {
                bestScore = dot;
                best = r;
            }
        }

        return best;
    }

    [Benchmark]
    public int SimdFloat32() => _float.Search("p", _query, _result);

    [Benchmark]
    public int MemoryReadInt8()
    {
        ref var start = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetArrayDataReference(_bytes));
        var n = _bytes.Length;
        Vector256<byte> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var i = 0; i <= n - 128; i += 128)
        {
            a0 ^= Vector256.LoadUnsafe(ref start, (nuint)i);
            a1 ^= Vector256.LoadUnsafe(ref start, (nuint)(i + 32));
            a2 ^= Vector256.LoadUnsafe(ref start, (nuint)(i + 64));
            a3 ^= Vector256.LoadUnsafe(ref start, (nuint)(i + 96));
        }

        return Vector256.Sum((a0 ^ a1 ^ a2 ^ a3).AsInt32());
    }

    [Benchmark]
    public int QuantizedInt8() => _int8.Search("p", _query, _result);

    /// <summary>1-bit codes (48 B per row), Hamming prefilter with popcount, exact float re-rank of the default 256 candidates.</summary>
    [Benchmark]
    public int BinaryQuantized() => _binary.Search("p", _query, _result);

    /// <summary>Random rows in [-1, 1), and a query that is a perturbed copy of one row, as cache lookups are.</summary>
    internal static (float[] Rows, float[] Query) Data(int rows, int dims, int seed)
    {
        var random = new Random(seed);
        var data = new float[rows * dims];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)((random.NextDouble() * 2) - 1) * 0.1f;
        }

        var query = new float[dims];
        var target = random.Next(rows);
        for (var d = 0; d < dims; d++)
        {
            query[d] = data[(target * dims) + d] + (((float)random.NextDouble() - 0.5f) * 0.05f);
        }

        return (data, query);
    }

    internal static VectorIndex<int> Build(float[] data, int rows, int dims, bool quantize, int parallelThreshold, bool binary = false, int? rerank = null)
    {
        var options = new VectorIndexOptions
        {
            Dimensions = dims,
            Quantize = quantize,
            MemoryCapBytes = long.MaxValue,
            ParallelScanThreshold = parallelThreshold,
            BinaryQuantize = binary,
            BinaryQuantizeMinRows = 1024,
        };
        if (rerank is { } depth)
        {
            options.BinaryRerankCandidates = depth;
        }

        var index = new VectorIndex<int>(options);
        for (var r = 0; r < rows; r++)
        {
            index.Add("p", data.AsSpan(r * dims, dims), r);
        }

        return index;
    }
}
