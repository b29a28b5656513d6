using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// <c>--int8-kernels</c>: every int8 kernel this CPU supports, the int8 index search and the read-only pass over the same bytes,
/// timed in turns in one process (minimum of the rounds). On a shared machine whose load changes by the minute, taking turns is
/// what makes the ratios comparable: BenchmarkDotNet measures one method after another.
/// </summary>
internal static class Int8KernelProbe
{
    private const int Rounds = 40;

    public static void Run()
    {
        var (floats, query) = VectorSearchBenchmarks.Data(VectorSearchBenchmarks.Rows, VectorSearchBenchmarks.Dims, seed: 42);
        var bytes = new sbyte[floats.Length];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (sbyte)Math.Clamp(floats[i] * 127 / 0.25f, -127, 127);
        }

        var q = new sbyte[VectorSearchBenchmarks.Dims];
        VectorMath.Quantize(query, q);
        var index = VectorSearchBenchmarks.Build(floats, VectorSearchBenchmarks.Rows, VectorSearchBenchmarks.Dims, quantize: true, parallelThreshold: int.MaxValue);
        var result = new VectorMatch<int>[1];
        var scores = new int[64];
        var kernels = Enum.GetValues<ScanKernel>().Where(k => k != ScanKernel.Scalar && VectorMath.IsSupported(k, int8: true)).ToList();

        var cases = new List<(string Name, Action Body)> { ("memory read (floor)", () => Read(bytes)) };
        cases.AddRange(kernels.Select(k => ($"kernel {k}", (Action)(() => Scan(q, bytes, scores, k)))));
        cases.AddRange(kernels.Select(k => ($"kernel {k}, one row per call", (Action)(() => ScanRowByRow(q, bytes, scores, k)))));
        cases.Add(($"index search ({VectorMath.Int8Kernel})", () => index.Search("p", query, result)));

        var best = cases.Select(_ => double.MaxValue).ToArray();
        for (var round = 0; round < Rounds; round++)
        {
            for (var c = 0; c < cases.Count; c++)
            {
                var watch = Stopwatch.StartNew();
                cases[c].Body();
                best[c] = Math.Min(best[c], watch.Elapsed.TotalMilliseconds);
            }
        }

        Console.WriteLine($"100,000 x 384 int8 rows, minimum of {Rounds} rounds taken in turns; kernel the index uses: {VectorMath.Int8Kernel}");
        for (var c = 0; c < cases.Count; c++)
        {
            Console.WriteLine($"{cases[c].Name,-32} {best[c],8:F3} ms  {best[c] / best[0],5:F2}x the floor");
        }
    }

    private static void Scan(sbyte[] q, sbyte[] bytes, int[] scores, ScanKernel kernel)
    {
        var block = scores.Length * q.Length;
        for (var offset = 0; offset + block <= bytes.Length; offset += block)
        {
            VectorMath.DotRowsInt8(q, bytes.AsSpan(offset, block), scores, kernel);
        }
    }

    // The per-row entry point, without the block kernels' shared horizontal sums: what the block kernels are measured against.
    private static void ScanRowByRow(sbyte[] q, sbyte[] bytes, int[] scores, ScanKernel kernel)
    {
        var dims = q.Length;
        for (var offset = 0; offset + dims <= bytes.Length; offset += dims)
        {
            scores[(offset / dims) & 63] = VectorMath.DotInt8(bytes.AsSpan(offset, dims), q, kernel);
        }
    }

    private static int Read(sbyte[] bytes)
    {
        ref var start = ref System.Runtime.CompilerServices.Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetArrayDataReference(bytes));
        Vector256<byte> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var i = 0; i <= bytes.Length - 128; i += 128)
        {
            a0 ^= Vector256.LoadUnsafe(ref start, (nuint)i);
            a1 ^= Vector256.LoadUnsafe(ref start, (nuint)(i + 32));
            a2 ^= Vector256.LoadUnsafe(ref start, (nuint)(i + 64));
            a3 ^= Vector256.LoadUnsafe(ref start, (nuint)(i + 96));
        }

        return Vector256.Sum((a0 ^ a1 ^ a2 ^ a3).AsInt32());
    }
}
