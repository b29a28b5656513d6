using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TokenGovernor;

/// <summary>The instruction set a scan kernel uses; the best one the CPU supports is chosen once, at start-up.</summary>
internal enum ScanKernel
{
    /// <summary>Plain scalar loops: the reference every other kernel is tested against.</summary>
    Scalar,

    /// <summary>128-bit vectors (SSE / NEON).</summary>
    Vector128,

    /// <summary>256-bit AVX2 (float: FMA; int8: <c>vpsignb</c> + <c>vpmaddubsw</c> + <c>vpmaddwd</c>).</summary>
    Avx2,

    /// <summary>256-bit AVX-VNNI (int8: <c>vpsignb</c> + <c>vpdpbusd</c>), on CPUs that have it.</summary>
    AvxVnni,

    /// <summary>512-bit AVX-512 (float: FMA; int8: AVX-512BW <c>vpabsb</c>, masked negate, <c>vpmaddubsw</c> + <c>vpmaddwd</c>).</summary>
    Avx512,
}

/// <summary>SIMD kernels of the vector index: float and int8 dot products per ISA, binary codes and Hamming distance.</summary>
internal static class VectorMath
{
    // The longest query whose magnitudes the VNNI block kernel keeps on the stack; longer ones use the per-row kernel.
    private const int MaxBlockDims = 4096;

    /// <summary>The kernel float scans use on this CPU.</summary>
    public static readonly ScanKernel FloatKernel =
        Vector512.IsHardwareAccelerated ? ScanKernel.Avx512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? ScanKernel.Avx2
        : Vector128.IsHardwareAccelerated ? ScanKernel.Vector128
        : ScanKernel.Scalar;

    /// <summary>The kernel int8 scans use on this CPU: AVX-VNNI, else AVX-512BW, else AVX2, else 128-bit vectors.</summary>
    /// <remarks>.NET 10 exposes VNNI only as 256-bit <see cref="AvxVnni"/> (the VEX form, CPUID AVX-VNNI). With the query's
    /// magnitudes taken once per block, it needs two instructions per 32 values, against six per 64 for AVX-512BW, and on an
    /// AMD EPYC with both it scanned at 0.99-1.03x the memory-read floor against 1.06-1.09x (<c>--int8-kernels</c>, see
    /// benchmarks/README.md). A CPU with 512-bit AVX512-VNNI but not AVX-VNNI (AMD Zen 4) gets the AVX-512BW kernel.</remarks>
    public static readonly ScanKernel Int8Kernel =
        AvxVnni.IsSupported && Ssse3.IsSupported ? ScanKernel.AvxVnni
        : Vector512.IsHardwareAccelerated && Avx512BW.IsSupported ? ScanKernel.Avx512
        : Avx2.IsSupported ? ScanKernel.Avx2
        : Vector128.IsHardwareAccelerated ? ScanKernel.Vector128
        : ScanKernel.Scalar;

    /// <summary>Gets whether <paramref name="kernel"/> can run on this CPU.</summary>
    public static bool IsSupported(ScanKernel kernel, bool int8) => kernel switch
    {
        ScanKernel.Scalar => true,
        ScanKernel.Vector128 => Vector128.IsHardwareAccelerated,
        ScanKernel.Avx2 => int8 ? Avx2.IsSupported : Vector256.IsHardwareAccelerated && Fma.IsSupported,
        ScanKernel.AvxVnni => int8 && AvxVnni.IsSupported,
        ScanKernel.Avx512 => Vector512.IsHardwareAccelerated && (!int8 || Avx512BW.IsSupported),
        _ => false,
    };

    /// <summary>L2-normalises <paramref name="source"/> into <paramref name="destination"/>; returns false for a zero vector.</summary>
    public static bool Normalize(ReadOnlySpan<float> source, Span<float> destination)
    {
        var norm = TensorPrimitives.Norm(source);
        if (norm == 0 || float.IsNaN(norm) || float.IsInfinity(norm))
        {
            return false;
        }

        TensorPrimitives.Divide(source, norm, destination);
        return true;
    }

    /// <summary>Quantises a normalised vector to int8 with one scale: value ≈ q × scale.</summary>
    public static float Quantize(ReadOnlySpan<float> source, Span<sbyte> destination)
    {
        var max = TensorPrimitives.MaxMagnitude(source);
        var scale = max == 0 ? 1f : Math.Abs(max) / 127f;
        var inverse = 1f / scale;
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = (sbyte)Math.Clamp(MathF.Round(source[i] * inverse), -127, 127);
        }

        return scale;
    }

    /// <summary>Number of 64-bit words of a binary code of <paramref name="dims"/> dimensions.</summary>
    public static int CodeWords(int dims) => (dims + 63) >> 6;

    /// <summary>Writes the 1-bit code of <paramref name="source"/>: bit d is set when <c>source[d] &gt; centre[d]</c>.</summary>
    public static void Binarize(ReadOnlySpan<float> source, ReadOnlySpan<float> centre, Span<ulong> code)
    {
        code.Clear();
        for (var d = 0; d < source.Length; d++)
        {
            if (source[d] > centre[d])
            {
                code[d >> 6] |= 1UL << (d & 63);
            }
        }
    }

    /// <summary>Hamming distance between two codes of equal length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Hamming(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b)
    {
        var d = 0;
        for (var i = 0; i < a.Length; i++)
        {
            d += BitOperations.PopCount(a[i] ^ b[i]);
        }

        return d;
    }

    /// <summary>
    /// Hamming distances of <c>distances.Length</c> consecutive codes of <paramref name="code"/>.Length words each, starting
    /// at the first word of <paramref name="codes"/>, against <paramref name="code"/>.
    /// </summary>
    /// <remarks>
    /// The query's words are held in registers and each row is one run of loads, XORs and popcounts with no loop over its
    /// words: 384 dimensions (6 words) and 256 (4 words) are unrolled, other lengths use the per-word loop. The scan reads
    /// 1/32 of the float rows' bytes, so it is bound by popcount throughput rather than memory.
    /// </remarks>
    public static void HammingRows(ReadOnlySpan<ulong> codes, ReadOnlySpan<ulong> code, Span<int> distances)
    {
        var words = code.Length;
        if (codes.Length < distances.Length * words)
        {
            throw new ArgumentException("The codes are shorter than distances.Length rows of code.Length words.", nameof(codes));
        }

        ref var r = ref MemoryMarshal.GetReference(codes);
        ref var q = ref MemoryMarshal.GetReference(code);
        switch (words)
        {
            case 6:
            {
                ulong q0 = q, q1 = Unsafe.Add(ref q, 1), q2 = Unsafe.Add(ref q, 2), q3 = Unsafe.Add(ref q, 3), q4 = Unsafe.Add(ref q, 4), q5 = Unsafe.Add(ref q, 5);
                for (var i = 0; i < distances.Length; i++, r = ref Unsafe.Add(ref r, 6))
                {
                    distances[i] = BitOperations.PopCount(r ^ q0) + BitOperations.PopCount(Unsafe.Add(ref r, 1) ^ q1)
                        + BitOperations.PopCount(Unsafe.Add(ref r, 2) ^ q2) + BitOperations.PopCount(Unsafe.Add(ref r, 3) ^ q3)
                        + BitOperations.PopCount(Unsafe.Add(ref r, 4) ^ q4) + BitOperations.PopCount(Unsafe.Add(ref r, 5) ^ q5);
                }

                break;
            }

            case 4:
            {
                ulong q0 = q, q1 = Unsafe.Add(ref q, 1), q2 = Unsafe.Add(ref q, 2), q3 = Unsafe.Add(ref q, 3);
                for (var i = 0; i < distances.Length; i++, r = ref Unsafe.Add(ref r, 4))
                {
                    distances[i] = BitOperations.PopCount(r ^ q0) + BitOperations.PopCount(Unsafe.Add(ref r, 1) ^ q1)
                        + BitOperations.PopCount(Unsafe.Add(ref r, 2) ^ q2) + BitOperations.PopCount(Unsafe.Add(ref r, 3) ^ q3);
                }

                break;
            }

            default:
                for (var i = 0; i < distances.Length; i++)
                {
                    distances[i] = Hamming(codes.Slice(i * words, words), code);
                }

                break;
        }
    }

    /// <summary>Scores <c>scores.Length</c> consecutive float rows of <paramref name="q"/>.Length values against the query.</summary>
    public static void DotRows(ReadOnlySpan<float> q, ReadOnlySpan<float> rows, Span<float> scores) => DotRows(q, rows, scores, FloatKernel);

    /// <summary>Scores float rows with a given kernel (tests compare each kernel with <see cref="ScanKernel.Scalar"/>).</summary>
    public static void DotRows(ReadOnlySpan<float> q, ReadOnlySpan<float> rows, Span<float> scores, ScanKernel kernel)
    {
        var dims = q.Length;
        if (rows.Length < scores.Length * dims)
        {
            throw new ArgumentException("Fewer rows than scores.", nameof(rows));
        }

        // One row after another: the scan stays one sequential stream, which the hardware prefetchers follow far ahead.
        // (Interleaving four rows per loop, to share query loads, ran about 2x slower here: four short streams per block.)
        for (var r = 0; r < scores.Length; r++)
        {
            var row = rows.Slice(r * dims, dims);
            scores[r] = kernel switch
            {
                ScanKernel.Avx512 when dims >= 64 => DotFloat512(q, row),
                ScanKernel.Avx2 when dims >= 32 => DotFloat256(q, row),
                ScanKernel.Scalar => ScalarDot(q, row),
                _ => TensorPrimitives.Dot(q, row),
            };
        }
    }

    /// <summary>Scores <c>scores.Length</c> consecutive int8 rows against an int8 query (exact integer dot products).</summary>
    public static void DotRowsInt8(ReadOnlySpan<sbyte> q, ReadOnlySpan<sbyte> rows, Span<int> scores) => DotRowsInt8(q, rows, scores, Int8Kernel);

    /// <summary>Scores int8 rows with a given kernel (values in [-127, 127], so no intermediate saturates).</summary>
    public static void DotRowsInt8(ReadOnlySpan<sbyte> q, ReadOnlySpan<sbyte> rows, Span<int> scores, ScanKernel kernel)
    {
        var dims = q.Length;
        if (rows.Length < scores.Length * dims)
        {
            throw new ArgumentException("Fewer rows than scores.", nameof(rows));
        }

        var start = 0;
        if (kernel == ScanKernel.AvxVnni && dims % 32 == 0 && dims > 0 && dims <= MaxBlockDims && Ssse3.IsSupported)
        {
            start = DotRowsInt8Vnni(q, rows, scores);
        }

        for (var r = start; r < scores.Length; r++)
        {
            scores[r] = DotInt8(rows.Slice(r * dims, dims), q, kernel);
        }
    }

    /// <summary>
    /// Scores rows four at a time with AVX-VNNI, one row after another. The query is the constant side: its magnitudes are
    /// taken once per block, so each 32 values of a row cost one <c>vpsignb</c> (the row times the sign of the query) and one
    /// <c>vpdpbusd</c> (|q| × that, four products summed into each int32 lane): |q| × (r × sign(q)) = r × q, exactly, and at
    /// most 4 × 127 × 127 per lane and step, so nothing saturates. Returns how many rows were scored (a multiple of 4).
    /// </summary>
    private static int DotRowsInt8Vnni(ReadOnlySpan<sbyte> q, ReadOnlySpan<sbyte> rows, Span<int> scores)
    {
        var dims = q.Length;
        Span<byte> magnitude = stackalloc byte[dims];
        ref var query = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(q));
        ref var abs = ref MemoryMarshal.GetReference(magnitude);
        for (var i = 0; i < dims; i += 32)
        {
            var chunk = Vector256.LoadUnsafe(ref query, (nuint)i).AsSByte();
            Avx2.Sign(chunk, chunk).AsByte().StoreUnsafe(ref abs, (nuint)i);
        }

        ref var rowStart = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(rows));
        ref var score = ref MemoryMarshal.GetReference(scores);
        var count = scores.Length & ~3;
        for (var r = 0; r < count; r += 4)
        {
            ref var row = ref Unsafe.Add(ref rowStart, (nint)r * dims);
            var s0 = FoldToFour(DotRowVnni(ref row, ref query, ref abs, dims));
            var s1 = FoldToFour(DotRowVnni(ref Unsafe.Add(ref row, dims), ref query, ref abs, dims));
            var s2 = FoldToFour(DotRowVnni(ref Unsafe.Add(ref row, 2 * dims), ref query, ref abs, dims));
            var s3 = FoldToFour(DotRowVnni(ref Unsafe.Add(ref row, 3 * dims), ref query, ref abs, dims));
            var sums = Ssse3.HorizontalAdd(Ssse3.HorizontalAdd(s0, s1), Ssse3.HorizontalAdd(s2, s3));
            sums.StoreUnsafe(ref Unsafe.Add(ref score, r));
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DotRowVnni(ref byte row, ref byte query, ref byte abs, int dims)
    {
        var acc0 = Vector256<int>.Zero;
        var acc1 = Vector256<int>.Zero;
        var i = 0;
        for (; i <= dims - 64; i += 64)
        {
            var r0 = Avx2.Sign(Vector256.LoadUnsafe(ref row, (nuint)i).AsSByte(), Vector256.LoadUnsafe(ref query, (nuint)i).AsSByte());
            var r1 = Avx2.Sign(Vector256.LoadUnsafe(ref row, (nuint)(i + 32)).AsSByte(), Vector256.LoadUnsafe(ref query, (nuint)(i + 32)).AsSByte());
            acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Vector256.LoadUnsafe(ref abs, (nuint)i), r0);
            acc1 = AvxVnni.MultiplyWideningAndAdd(acc1, Vector256.LoadUnsafe(ref abs, (nuint)(i + 32)), r1);
        }

        if (i < dims)
        {
            var r0 = Avx2.Sign(Vector256.LoadUnsafe(ref row, (nuint)i).AsSByte(), Vector256.LoadUnsafe(ref query, (nuint)i).AsSByte());
            acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Vector256.LoadUnsafe(ref abs, (nuint)i), r0);
        }

        return acc0 + acc1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> FoldToFour(Vector256<int> v) => v.GetLower() + v.GetUpper();


    /// <summary>Integer dot product of two int8 vectors with the best kernel for this CPU.</summary>
    public static int DotInt8(ReadOnlySpan<sbyte> row, ReadOnlySpan<sbyte> query) => DotInt8(row, query, Int8Kernel);

    /// <summary>Integer dot product of two int8 vectors (values in [-127, 127], so no intermediate saturates).</summary>
    public static int DotInt8(ReadOnlySpan<sbyte> row, ReadOnlySpan<sbyte> query, ScanKernel kernel)
    {
        ref var r = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(row));
        ref var q = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(query));
        var i = 0;
        var n = row.Length;
        var sum = 0;
        if (kernel == ScanKernel.Avx512 && n >= 64)
        {
            var acc = Vector512<int>.Zero;
            var ones = Vector512.Create((short)1);
            for (; i <= n - 64; i += 64)
            {
                acc += MultiplyAddInt8x512(Vector512.LoadUnsafe(ref r, (nuint)i).AsSByte(), Vector512.LoadUnsafe(ref q, (nuint)i).AsSByte(), ones);
            }

            sum = Vector512.Sum(acc);
        }

        if (kernel == ScanKernel.AvxVnni && n - i >= 32)
        {
            // vpdpbusd multiplies unsigned by signed bytes and adds groups of four into int32 lanes: |r| × (q × sign(r)) = r × q.
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            for (; i <= n - 64; i += 64)
            {
                var r0 = Vector256.LoadUnsafe(ref r, (nuint)i).AsSByte();
                var r1 = Vector256.LoadUnsafe(ref r, (nuint)(i + 32)).AsSByte();
                acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Avx2.Sign(r0, r0).AsByte(), Avx2.Sign(Vector256.LoadUnsafe(ref q, (nuint)i).AsSByte(), r0));
                acc1 = AvxVnni.MultiplyWideningAndAdd(acc1, Avx2.Sign(r1, r1).AsByte(), Avx2.Sign(Vector256.LoadUnsafe(ref q, (nuint)(i + 32)).AsSByte(), r1));
            }

            for (; i <= n - 32; i += 32)
            {
                var r0 = Vector256.LoadUnsafe(ref r, (nuint)i).AsSByte();
                acc0 = AvxVnni.MultiplyWideningAndAdd(acc0, Avx2.Sign(r0, r0).AsByte(), Avx2.Sign(Vector256.LoadUnsafe(ref q, (nuint)i).AsSByte(), r0));
            }

            sum += Vector256.Sum(acc0 + acc1);
        }
        else if ((kernel == ScanKernel.Avx2 || kernel == ScanKernel.Avx512) && Avx2.IsSupported && n - i >= 32)
        {
            // |r| * (q * sign(r)) = r * q with an unsigned-by-signed multiply-add (vpmaddubsw), then pairs of int16 summed
            // to int32 (vpmaddwd with ones): four instructions per 32 values.
            var ones = Vector256.Create((short)1);
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            for (; i <= n - 64; i += 64)
            {
                var r0 = Vector256.LoadUnsafe(ref r, (nuint)i).AsSByte();
                var q0 = Vector256.LoadUnsafe(ref q, (nuint)i).AsSByte();
                var r1 = Vector256.LoadUnsafe(ref r, (nuint)(i + 32)).AsSByte();
                var q1 = Vector256.LoadUnsafe(ref q, (nuint)(i + 32)).AsSByte();
                var p0 = Avx2.MultiplyAddAdjacent(Avx2.Sign(r0, r0).AsByte(), Avx2.Sign(q0, r0));
                var p1 = Avx2.MultiplyAddAdjacent(Avx2.Sign(r1, r1).AsByte(), Avx2.Sign(q1, r1));
                acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(p0, ones));
                acc1 = Avx2.Add(acc1, Avx2.MultiplyAddAdjacent(p1, ones));
            }

            for (; i <= n - 32; i += 32)
            {
                var r0 = Vector256.LoadUnsafe(ref r, (nuint)i).AsSByte();
                var q0 = Vector256.LoadUnsafe(ref q, (nuint)i).AsSByte();
                acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Avx2.Sign(r0, r0).AsByte(), Avx2.Sign(q0, r0)), ones));
            }

            sum += Vector256.Sum(acc0 + acc1);
        }
        else if (kernel != ScanKernel.Scalar && Vector128.IsHardwareAccelerated && n - i >= 16)
        {
            var acc = Vector128<int>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var (rl, rh) = Vector128.Widen(Vector128.LoadUnsafe(ref r, (nuint)i).AsSByte());
                var (ql, qh) = Vector128.Widen(Vector128.LoadUnsafe(ref q, (nuint)i).AsSByte());
                var (l0, l1) = Vector128.Widen(rl * ql);
                var (h0, h1) = Vector128.Widen(rh * qh);
                acc += l0 + l1 + h0 + h1;
            }

            sum += Vector128.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += (sbyte)Unsafe.Add(ref r, i) * (sbyte)Unsafe.Add(ref q, i);
        }

        return sum;
    }

    /// <summary>The scalar float dot product (the baseline every kernel is compared with).</summary>
    public static float ScalarDot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0f;
        for (var i = 0; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }

    /// <summary>Dot product with 512-bit FMA, four accumulators (FMA latency hidden), for rows of at least 64 values.</summary>
    private static float DotFloat512(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref var x = ref MemoryMarshal.GetReference(a);
        ref var y = ref MemoryMarshal.GetReference(b);
        var n = a.Length;
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var i = 0;
        for (; i <= n - 64; i += 64)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), Vector512.LoadUnsafe(ref y, (nuint)i), a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)(i + 16)), Vector512.LoadUnsafe(ref y, (nuint)(i + 16)), a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)(i + 32)), Vector512.LoadUnsafe(ref y, (nuint)(i + 32)), a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)(i + 48)), Vector512.LoadUnsafe(ref y, (nuint)(i + 48)), a3);
        }

        for (; i <= n - 16; i += 16)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), Vector512.LoadUnsafe(ref y, (nuint)i), a0);
        }

        var sum = Vector512.Sum((a0 + a1) + (a2 + a3));
        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref x, i) * Unsafe.Add(ref y, i);
        }

        return sum;
    }

    /// <summary>Dot product with 256-bit FMA, four accumulators, for rows of at least 32 values.</summary>
    private static float DotFloat256(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        ref var x = ref MemoryMarshal.GetReference(a);
        ref var y = ref MemoryMarshal.GetReference(b);
        var n = a.Length;
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        var i = 0;
        for (; i <= n - 32; i += 32)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i), a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(i + 8)), Vector256.LoadUnsafe(ref y, (nuint)(i + 8)), a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(i + 16)), Vector256.LoadUnsafe(ref y, (nuint)(i + 16)), a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(i + 24)), Vector256.LoadUnsafe(ref y, (nuint)(i + 24)), a3);
        }

        for (; i <= n - 8; i += 8)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref y, (nuint)i), a0);
        }

        var sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref x, i) * Unsafe.Add(ref y, i);
        }

        return sum;
    }

    /// <summary>64 products r × q summed into 16 int32 lanes with AVX-512BW: |r| (vpabsb) times q negated where r &lt; 0
    /// (a masked subtract), by vpmaddubsw (at most 2 × 127 × 127, no saturation), then vpmaddwd with ones.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> MultiplyAddInt8x512(Vector512<sbyte> r, Vector512<sbyte> q, Vector512<short> ones)
    {
        var signed = Vector512.ConditionalSelect(Vector512.LessThan(r, Vector512<sbyte>.Zero), -q, q);
        return Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Avx512BW.Abs(r), signed), ones);
    }
}
