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
        var i = 0;
        if (Vector256.IsHardwareAccelerated && destination.Length >= source.Length)
        {
            // 32 values per step: the same product, rounded to nearest even like MathF.Round, clamped, narrowed (exact: |q| ≤ 127).
            ref var x = ref MemoryMarshal.GetReference(source);
            ref var d = ref MemoryMarshal.GetReference(destination);
            var factor = Vector256.Create(inverse);
            var low = Vector256.Create(-127);
            var high = Vector256.Create(127);
            for (; i <= source.Length - 32; i += 32)
            {
                var a = Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x, (nuint)i) * factor)), low), high);
                var b = Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x, (nuint)(i + 8)) * factor)), low), high);
                var c = Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x, (nuint)(i + 16)) * factor)), low), high);
                var e = Vector256.Min(Vector256.Max(Vector256.ConvertToInt32(Vector256.Round(Vector256.LoadUnsafe(ref x, (nuint)(i + 24)) * factor)), low), high);
                Vector256.Narrow(Vector256.Narrow(a, b), Vector256.Narrow(c, e)).StoreUnsafe(ref d, (nuint)i);
            }
        }

        for (; i < source.Length; i++)
        {
            destination[i] = (sbyte)Math.Clamp(MathF.Round(source[i] * inverse), -127, 127);
        }

        return scale;
    }

    /// <summary>The scalar quantisation <see cref="Quantize"/> must equal (tests).</summary>
    internal static float QuantizeScalar(ReadOnlySpan<float> source, Span<sbyte> destination)
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

    /// <summary>
    /// The number of leading dimensions a float row keeps in its head block (see <see cref="DotSplit(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>):
    /// a multiple of 64, about a third of the row, or all of it below 192 dimensions (no split).
    /// </summary>
    /// <remarks>A multiple of 64 so the split kernels run the same loop steps over head and tail as the whole-row kernels do
    /// over the whole row, and give bit-identical sums. A third because with unit rows, after a third of the dimensions the
    /// bound of <see cref="BoundSlack"/> already rules out nearly every row below a cache threshold (4% survive 128 of 384
    /// dimensions at 0.80 with the hashing embedder, 0.2% survive 160).</remarks>
    public static int HeadDims(int dims) => dims >= 192 ? 64 * (dims / 192) : dims;

    /// <summary>
    /// The allowance for rounding in the bound <c>q·r ≤ q₁·r₁ + ‖q₂‖·‖r₂‖</c> (head and tail of a query and a row, both about unit
    /// length) when it is evaluated in single precision: a row is skipped only when the computed head dot plus the computed
    /// product of tail norms plus this slack is below the cut-off, so the row's computed score is surely below it too.
    /// </summary>
    /// <remarks>A float dot product of n terms (any summation order, with or without FMA) is within n·2⁻²⁴·Σ|xᵢyᵢ| ≤ n·2⁻²⁴ of
    /// the exact one for unit vectors, and so are the norms; the whole row's score, the head's dot and the tails' norms together
    /// are off by at most (2 × dims + 4)·2⁻²⁴. The slack is four times that, plus a constant.</remarks>
    public static float BoundSlack(int dims) => ((2f * dims) + 16f) * (1f / (1 << 22));

    /// <summary>
    /// Quantises a row's head (unit row, so |values| ≤ 1) to int8 with one scale s (value ≈ s·b) and returns s, an upper bound on
    /// s·‖b‖ and an upper bound on ‖head − s·b‖ (computed in double and rounded up), the terms <see cref="HeadBounds"/> needs.
    /// </summary>
    public static (float Scale, float Length, float Error) QuantizeHead(ReadOnlySpan<float> head, Span<sbyte> destination)
    {
        var scale = Quantize(head, destination);
        double squares = 0, errors = 0;
        for (var i = 0; i < head.Length; i++)
        {
            double b = destination[i];
            squares += b * b;
            var e = head[i] - (scale * b);
            errors += e * e;
        }

        return (scale, Up(scale * Math.Sqrt(squares)), Up(Math.Sqrt(errors)));
    }

    /// <summary>Quantises a query's head like <see cref="QuantizeHead"/>; returns its scale, the bound on its quantisation error
    /// ‖q₁ − s·a‖ and its norm ‖q₁‖ (both rounded up).</summary>
    public static HeadQuery QuantizeQueryHead(ReadOnlySpan<float> head, Span<sbyte> destination)
    {
        var scale = Quantize(head, destination);
        double norm = 0, errors = 0;
        for (var i = 0; i < head.Length; i++)
        {
            double x = head[i];
            norm += x * x;
            var e = x - (scale * (double)destination[i]);
            errors += e * e;
        }

        return new HeadQuery(scale, Up(Math.Sqrt(errors)), Up(Math.Sqrt(norm)));
    }

    /// <summary>
    /// Upper bounds on the scores of rows stored split (head r₁ as int8 b with scale s, s·‖b‖ = <paramref name="lengths"/>,
    /// ‖r₁ − s·b‖ = <paramref name="errors"/>; the norms of the tail's <see cref="TailBlocks"/> blocks, block k of row
    /// <c>start + j</c> at <c>tailBlockNorms[k][start + j]</c>) from the int8 dot products <c>a·b</c> of the query's int8 head a
    /// (scale s_q, error E_q, norm ‖q₁‖) with theirs:
    /// <c>q·r ≤ s_q·s·(a·b) + E_q·s‖b‖ + ‖q₁‖·‖r₁ − s·b‖ + Σₖ ‖q₂ₖ‖·‖r₂ₖ‖ + slack</c>.
    /// </summary>
    /// <remarks>
    /// Exact algebra: q₁·r₁ = s·(q₁·b) + q₁·(r₁ − s·b) and q₁·b = s_q·(a·b) + (q₁ − s_q·a)·b, each correction bounded by
    /// Cauchy–Schwarz; q₂·r₂ = Σₖ q₂ₖ·r₂ₖ ≤ Σₖ ‖q₂ₖ‖·‖r₂ₖ‖ likewise, block by block, which is never looser than ‖q₂‖·‖r₂‖ and much
    /// tighter for sparse rows (the hashing embedder's: with one tail norm 4.5% of 590 rows passed a 0.80 cut-off, with eight
    /// block norms 0.3%). a·b is an exact integer (at most 127²·dims, exact in single precision up to
    /// 1,040 dimensions); the error terms and norms are rounded up. What single precision can still lose here (the products and
    /// sums of five terms of magnitude ≤ 1, and the float norms of the tails, as in the float bound) is a few units of 2⁻²⁴,
    /// far inside <paramref name="slack"/> (twice <see cref="BoundSlack"/>, which already allows four times the rounding of the
    /// float score itself). So a row whose bound is below a cut-off has a computed float score below it too: skipping it is
    /// lossless, exactly as with the float head bound.
    /// </remarks>
    public static void HeadBounds(HeadQuery query, ReadOnlySpan<int> dots, ReadOnlySpan<float> scales, ReadOnlySpan<float> lengths, ReadOnlySpan<float> errors,
        float[][] tailBlockNorms, int start, ReadOnlySpan<float> queryBlockNorms, float slack, Span<float> bounds)
    {
        var n = bounds.Length;
        if (dots.Length < n || scales.Length < n || lengths.Length < n || errors.Length < n || tailBlockNorms.Length != TailBlocks || queryBlockNorms.Length != TailBlocks)
        {
            throw new ArgumentException("Fewer row terms than bounds.", nameof(dots));
        }

        foreach (var norms in tailBlockNorms)
        {
            if (norms.Length < start + n)
            {
                throw new ArgumentException("Fewer tail block norms than bounds.", nameof(tailBlockNorms));
            }
        }

        var j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref var dot = ref MemoryMarshal.GetReference(dots);
            ref var scale = ref MemoryMarshal.GetReference(scales);
            ref var length = ref MemoryMarshal.GetReference(lengths);
            ref var error = ref MemoryMarshal.GetReference(errors);
            ref var t0 = ref tailBlockNorms[0][start];
            ref var t1 = ref tailBlockNorms[1][start];
            ref var t2 = ref tailBlockNorms[2][start];
            ref var t3 = ref tailBlockNorms[3][start];
            ref var t4 = ref tailBlockNorms[4][start];
            ref var t5 = ref tailBlockNorms[5][start];
            ref var t6 = ref tailBlockNorms[6][start];
            ref var t7 = ref tailBlockNorms[7][start];
            ref var bound = ref MemoryMarshal.GetReference(bounds);
            var qs = Vector256.Create(query.Scale);
            var qe = Vector256.Create(query.Error);
            var qn = Vector256.Create(query.Norm);
            var q0 = Vector256.Create(queryBlockNorms[0]);
            var q1 = Vector256.Create(queryBlockNorms[1]);
            var q2 = Vector256.Create(queryBlockNorms[2]);
            var q3 = Vector256.Create(queryBlockNorms[3]);
            var q4 = Vector256.Create(queryBlockNorms[4]);
            var q5 = Vector256.Create(queryBlockNorms[5]);
            var q6 = Vector256.Create(queryBlockNorms[6]);
            var q7 = Vector256.Create(queryBlockNorms[7]);
            var extra = Vector256.Create(slack);
            for (; j <= n - 8; j += 8)
            {
                var b = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref dot, (nuint)j)) * (qs * Vector256.LoadUnsafe(ref scale, (nuint)j));
                b += qe * Vector256.LoadUnsafe(ref length, (nuint)j);
                b += qn * Vector256.LoadUnsafe(ref error, (nuint)j);
                var tail = (q0 * Vector256.LoadUnsafe(ref t0, (nuint)j)) + (q1 * Vector256.LoadUnsafe(ref t1, (nuint)j))
                    + (q2 * Vector256.LoadUnsafe(ref t2, (nuint)j)) + (q3 * Vector256.LoadUnsafe(ref t3, (nuint)j));
                tail += (q4 * Vector256.LoadUnsafe(ref t4, (nuint)j)) + (q5 * Vector256.LoadUnsafe(ref t5, (nuint)j))
                    + (q6 * Vector256.LoadUnsafe(ref t6, (nuint)j)) + (q7 * Vector256.LoadUnsafe(ref t7, (nuint)j));
                b += tail;
                (b + extra).StoreUnsafe(ref bound, (nuint)j);
            }
        }

        for (; j < n; j++)
        {
            var tail = 0f;
            for (var k = 0; k < TailBlocks; k++)
            {
                tail += queryBlockNorms[k] * tailBlockNorms[k][start + j];
            }

            bounds[j] = (dots[j] * (query.Scale * scales[j])) + (query.Error * lengths[j]) + (query.Norm * errors[j]) + tail + slack;
        }
    }

    /// <summary>The number of blocks a split row's tail is cut into for <see cref="HeadBounds"/>, each with its own norm.</summary>
    public const int TailBlocks = 8;

    /// <summary>Writes the norms of the <see cref="TailBlocks"/> blocks of <paramref name="tail"/> (block k is values
    /// [k·n/8, (k+1)·n/8) of its n) into <paramref name="norms"/>.</summary>
    public static void TailBlockNorms(ReadOnlySpan<float> tail, Span<float> norms)
    {
        for (var k = 0; k < TailBlocks; k++)
        {
            var from = k * tail.Length / TailBlocks;
            var to = (k + 1) * tail.Length / TailBlocks;
            norms[k] = TensorPrimitives.Norm(tail[from..to]);
        }
    }

    /// <summary>The smallest float at least <paramref name="value"/> (a non-negative double).</summary>
    private static float Up(double value)
    {
        var f = (float)value;
        return f < value ? MathF.BitIncrement(f) : f;
    }

    /// <summary>
    /// The dot product of <paramref name="q"/> with a row stored as a head and a tail (<c>head.Length</c> a multiple of 64, see
    /// <see cref="HeadDims"/>), bit-identical to <see cref="DotRows(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/>
    /// of the whole row on this CPU.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float DotSplit(ReadOnlySpan<float> q, ReadOnlySpan<float> head, ReadOnlySpan<float> tail) =>
        FloatKernel == ScanKernel.Avx512 && q.Length >= 64 && head.Length % 64 == 0 && head.Length + tail.Length == q.Length
            ? DotFloat512(q, head, tail)
            : DotSplit(q, head, tail, FloatKernel);

    /// <summary>The dot product of a row stored as head and tail with a given kernel (the same sum as that kernel's
    /// <see cref="DotRows(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, ScanKernel)"/> of the whole row).</summary>
    public static float DotSplit(ReadOnlySpan<float> q, ReadOnlySpan<float> head, ReadOnlySpan<float> tail, ScanKernel kernel)
    {
        var dims = q.Length;
        if (head.Length + tail.Length != dims || head.Length % 64 != 0)
        {
            throw new ArgumentException("The head and tail must make one row of q.Length values, with a head of a multiple of 64.", nameof(head));
        }

        switch (kernel)
        {
            case ScanKernel.Avx512 when dims >= 64:
                return DotFloat512(q, head, tail);
            case ScanKernel.Avx2 when dims >= 32:
                return DotFloat256(q, head, tail);
            case ScanKernel.Scalar:
                var sum = 0f;
                for (var i = 0; i < head.Length; i++)
                {
                    sum += q[i] * head[i];
                }

                for (var i = 0; i < tail.Length; i++)
                {
                    sum += q[head.Length + i] * tail[i];
                }

                return sum;
            default:
                // TensorPrimitives.Dot's order of summation is its own: give it the whole row.
                var row = dims <= 2048 ? stackalloc float[dims] : new float[dims];
                head.CopyTo(row);
                tail.CopyTo(row[head.Length..]);
                return TensorPrimitives.Dot(q, row);
        }
    }

    /// <summary>
    /// Scores <c>scores.Length</c> consecutive split rows: row r is <c>head</c> values at <c>heads[r × head]</c> followed by
    /// <c>tail</c> values at <c>tails[r × tail]</c> (<paramref name="tails"/> may be empty when <paramref name="tail"/> is 0,
    /// which scores heads alone). Each score is bit-identical to <see cref="DotSplit(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>
    /// of that row (and so to <see cref="DotRows(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> of the whole row).
    /// </summary>
    /// <remarks>With AVX2, two rows are scored together the same way. With AVX-512, four rows are scored together: each 64 values of the query are loaded once for four rows, and
    /// the four rows' accumulators are independent, so their reductions overlap. Consecutive rows are adjacent in the head block
    /// and in the tail block, so this is still two sequential streams. Each row keeps its own four accumulators and adds its
    /// products in the same order as the one-row kernel.</remarks>
    public static void DotSplitRows(ReadOnlySpan<float> q, ReadOnlySpan<float> heads, int head, ReadOnlySpan<float> tails, int tail, Span<float> scores)
    {
        var dims = head + tail;
        if (q.Length < dims || head % 64 != 0 || heads.Length < scores.Length * head || tails.Length < scores.Length * tail)
        {
            throw new ArgumentException("Fewer rows than scores, or a head that is not a multiple of 64 values.", nameof(heads));
        }

        var r = 0;
        if (FloatKernel == ScanKernel.Avx512 && dims >= 64 && tail % 64 == 0)
        {
            ref var x = ref MemoryMarshal.GetReference(q);
            ref var h = ref MemoryMarshal.GetReference(heads);
            ref var t = ref MemoryMarshal.GetReference(tails);
            ref var score = ref MemoryMarshal.GetReference(scores);
            for (; r <= scores.Length - 4; r += 4)
            {
                Score4(ref x, ref Unsafe.Add(ref h, (nint)r * head), head, ref Unsafe.Add(ref t, (nint)r * tail), tail, ref Unsafe.Add(ref score, r));
            }
        }

        else if (FloatKernel == ScanKernel.Avx2 && dims >= 32 && tail % 32 == 0)
        {
            ref var x = ref MemoryMarshal.GetReference(q);
            ref var h = ref MemoryMarshal.GetReference(heads);
            ref var t = ref MemoryMarshal.GetReference(tails);
            ref var score = ref MemoryMarshal.GetReference(scores);
            for (; r <= scores.Length - 2; r += 2)
            {
                Score2(ref x, ref Unsafe.Add(ref h, (nint)r * head), head, ref Unsafe.Add(ref t, (nint)r * tail), tail, ref Unsafe.Add(ref score, r));
            }
        }

        for (; r < scores.Length; r++)
        {
            scores[r] = head == dims
                ? DotSplit(q[..dims], heads.Slice(r * head, head), default)
                : DotSplit(q[..dims], heads.Slice(r * head, head), tails.Slice(r * tail, tail));
        }
    }

    /// <summary>Two adjacent split rows scored together with 256-bit FMA (see <see cref="DotSplitRows"/>): four accumulators per
    /// row as in <see cref="DotFloat256(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/>, the query's 32 values
    /// loaded once per step for both rows, head then tail (both multiples of 32), each row's products added in the one-row
    /// kernel's order, so each score is bit-identical to it. Two rows, not four: AVX2 has 16 vector registers, and four rows'
    /// sixteen accumulators plus the query would spill.</summary>
    private static void Score2(ref float x, ref float heads, int head, ref float tails, int tail, ref float score)
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        ref var a = ref heads;
        ref var b = ref Unsafe.Add(ref heads, head);
        var length = head;
        for (var part = 0; part < 2; part++)
        {
            // The head, then the tail: the same accumulators, so the sums run in the one-row kernel's order.
            for (var i = 0; i < length; i += 32)
            {
                var q0 = Vector256.LoadUnsafe(ref x, (nuint)i);
                var q1 = Vector256.LoadUnsafe(ref x, (nuint)(i + 8));
                var q2 = Vector256.LoadUnsafe(ref x, (nuint)(i + 16));
                var q3 = Vector256.LoadUnsafe(ref x, (nuint)(i + 24));
                a0 = Vector256.FusedMultiplyAdd(q0, Vector256.LoadUnsafe(ref a, (nuint)i), a0);
                a1 = Vector256.FusedMultiplyAdd(q1, Vector256.LoadUnsafe(ref a, (nuint)(i + 8)), a1);
                a2 = Vector256.FusedMultiplyAdd(q2, Vector256.LoadUnsafe(ref a, (nuint)(i + 16)), a2);
                a3 = Vector256.FusedMultiplyAdd(q3, Vector256.LoadUnsafe(ref a, (nuint)(i + 24)), a3);
                b0 = Vector256.FusedMultiplyAdd(q0, Vector256.LoadUnsafe(ref b, (nuint)i), b0);
                b1 = Vector256.FusedMultiplyAdd(q1, Vector256.LoadUnsafe(ref b, (nuint)(i + 8)), b1);
                b2 = Vector256.FusedMultiplyAdd(q2, Vector256.LoadUnsafe(ref b, (nuint)(i + 16)), b2);
                b3 = Vector256.FusedMultiplyAdd(q3, Vector256.LoadUnsafe(ref b, (nuint)(i + 24)), b3);
            }

            x = ref Unsafe.Add(ref x, head);
            a = ref tails;
            b = ref Unsafe.Add(ref tails, tail);
            length = tail;
        }

        score = Vector256.Sum((a0 + a1) + (a2 + a3));
        Unsafe.Add(ref score, 1) = Vector256.Sum((b0 + b1) + (b2 + b3));
    }

    /// <summary>Four adjacent split rows scored together (see <see cref="DotSplitRows"/>): four accumulators per row, the query's
    /// 64 values loaded once per step for the four rows, head then tail, each row's products added in the one-row kernel's order.</summary>
    private static void Score4(ref float x, ref float heads, int head, ref float tails, int tail, ref float score)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, d0 = default, d1 = default, d2 = default, d3 = default;
        ref var a = ref heads;
        ref var b = ref Unsafe.Add(ref heads, head);
        ref var c = ref Unsafe.Add(ref heads, 2 * head);
        ref var d = ref Unsafe.Add(ref heads, 3 * head);
        for (var i = 0; i < head; i += 64)
        {
            var q0 = Vector512.LoadUnsafe(ref x, (nuint)i);
            var q1 = Vector512.LoadUnsafe(ref x, (nuint)(i + 16));
            var q2 = Vector512.LoadUnsafe(ref x, (nuint)(i + 32));
            var q3 = Vector512.LoadUnsafe(ref x, (nuint)(i + 48));
            a0 = Vector512.FusedMultiplyAdd(q0, Vector512.LoadUnsafe(ref a, (nuint)i), a0);
            a1 = Vector512.FusedMultiplyAdd(q1, Vector512.LoadUnsafe(ref a, (nuint)(i + 16)), a1);
            a2 = Vector512.FusedMultiplyAdd(q2, Vector512.LoadUnsafe(ref a, (nuint)(i + 32)), a2);
            a3 = Vector512.FusedMultiplyAdd(q3, Vector512.LoadUnsafe(ref a, (nuint)(i + 48)), a3);
            b0 = Vector512.FusedMultiplyAdd(q0, Vector512.LoadUnsafe(ref b, (nuint)i), b0);
            b1 = Vector512.FusedMultiplyAdd(q1, Vector512.LoadUnsafe(ref b, (nuint)(i + 16)), b1);
            b2 = Vector512.FusedMultiplyAdd(q2, Vector512.LoadUnsafe(ref b, (nuint)(i + 32)), b2);
            b3 = Vector512.FusedMultiplyAdd(q3, Vector512.LoadUnsafe(ref b, (nuint)(i + 48)), b3);
            c0 = Vector512.FusedMultiplyAdd(q0, Vector512.LoadUnsafe(ref c, (nuint)i), c0);
            c1 = Vector512.FusedMultiplyAdd(q1, Vector512.LoadUnsafe(ref c, (nuint)(i + 16)), c1);
            c2 = Vector512.FusedMultiplyAdd(q2, Vector512.LoadUnsafe(ref c, (nuint)(i + 32)), c2);
            c3 = Vector512.FusedMultiplyAdd(q3, Vector512.LoadUnsafe(ref c, (nuint)(i + 48)), c3);
            d0 = Vector512.FusedMultiplyAdd(q0, Vector512.LoadUnsafe(ref d, (nuint)i), d0);
            d1 = Vector512.FusedMultiplyAdd(q1, Vector512.LoadUnsafe(ref d, (nuint)(i + 16)), d1);
            d2 = Vector512.FusedMultiplyAdd(q2, Vector512.LoadUnsafe(ref d, (nuint)(i + 32)), d2);
            d3 = Vector512.FusedMultiplyAdd(q3, Vector512.LoadUnsafe(ref d, (nuint)(i + 48)), d3);
        }

        x = ref Unsafe.Add(ref x, head);
        a = ref tails;
        b = ref Unsafe.Add(ref tails, tail);
        c = ref Unsafe.Add(ref tails, 2 * tail);
        d = ref Unsafe.Add(ref tails, 3 * tail);
        for (var i = 0; i < tail; i += 64)
        {
            var q0 = Vector512.LoadUnsafe(ref x, (nuint)i);
            var q1 = Vector512.LoadUnsafe(ref x, (nuint)(i + 16));
            var q2 = Vector512.LoadUnsafe(ref x, (nuint)(i + 32));
            var q3 = Vector512.LoadUnsafe(ref x, (nuint)(i + 48));
            a0 = Vector512.FusedMultiplyAdd(q0, Vector512.LoadUnsafe(ref a, (nuint)i), a0);
            a1 = Vector512.FusedMultiplyAdd(q1, Vector512.LoadUnsafe(ref a, (nuint)(i + 16)), a1);
            a2 = Vector512.FusedMultiplyAdd(q2, Vector512.LoadUnsafe(ref a, (nuint)(i + 32)), a2);
            a3 = Vector512.FusedMultiplyAdd(q3, Vector512.LoadUnsafe(ref a, (nuint)(i + 48)), a3);
            b0 = Vector512.FusedMultiplyAdd(q0, Vector512.LoadUnsafe(ref b, (nuint)i), b0);
            b1 = Vector512.FusedMultiplyAdd(q1, Vector512.LoadUnsafe(ref b, (nuint)(i + 16)), b1);
            b2 = Vector512.FusedMultiplyAdd(q2, Vector512.LoadUnsafe(ref b, (nuint)(i + 32)), b2);
            b3 = Vector512.FusedMultiplyAdd(q3, Vector512.LoadUnsafe(ref b, (nuint)(i + 48)), b3);
            c0 = Vector512.FusedMultiplyAdd(q0, Vector512.LoadUnsafe(ref c, (nuint)i), c0);
            c1 = Vector512.FusedMultiplyAdd(q1, Vector512.LoadUnsafe(ref c, (nuint)(i + 16)), c1);
            c2 = Vector512.FusedMultiplyAdd(q2, Vector512.LoadUnsafe(ref c, (nuint)(i + 32)), c2);
            c3 = Vector512.FusedMultiplyAdd(q3, Vector512.LoadUnsafe(ref c, (nuint)(i + 48)), c3);
            d0 = Vector512.FusedMultiplyAdd(q0, Vector512.LoadUnsafe(ref d, (nuint)i), d0);
            d1 = Vector512.FusedMultiplyAdd(q1, Vector512.LoadUnsafe(ref d, (nuint)(i + 16)), d1);
            d2 = Vector512.FusedMultiplyAdd(q2, Vector512.LoadUnsafe(ref d, (nuint)(i + 32)), d2);
            d3 = Vector512.FusedMultiplyAdd(q3, Vector512.LoadUnsafe(ref d, (nuint)(i + 48)), d3);
        }

        score = Vector512.Sum((a0 + a1) + (a2 + a3));
        Unsafe.Add(ref score, 1) = Vector512.Sum((b0 + b1) + (b2 + b3));
        Unsafe.Add(ref score, 2) = Vector512.Sum((c0 + c1) + (c2 + c3));
        Unsafe.Add(ref score, 3) = Vector512.Sum((d0 + d1) + (d2 + d3));
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
        else if (kernel == ScanKernel.Avx2 && dims % 32 == 0 && dims > 0 && dims <= MaxBlockDims && Avx2.IsSupported)
        {
            start = DotRowsInt8Avx2(q, rows, scores);
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

    /// <summary>
    /// Scores rows four at a time with AVX2, the query as the constant side (as in <see cref="DotRowsInt8Vnni"/>): its magnitudes
    /// are taken once, and each 32 values of a row cost one <c>vpsignb</c> (the row times the sign of the query), one
    /// <c>vpmaddubsw</c> (|q| × that, pairs summed: at most 2 × 127 × 127, no saturation) and one <c>vpmaddwd</c> with ones, where
    /// the per-row kernel takes the row's magnitudes and signs too. Exact integer sums. Returns how many rows were scored (a
    /// multiple of 4).
    /// </summary>
    private static int DotRowsInt8Avx2(ReadOnlySpan<sbyte> q, ReadOnlySpan<sbyte> rows, Span<int> scores)
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
        if (dims == 128)
        {
            // The split rows' int8 heads (384 dimensions): the query's four vectors and their magnitudes stay in registers.
            var q0 = Vector256.LoadUnsafe(ref query).AsSByte();
            var q1 = Vector256.LoadUnsafe(ref query, 32).AsSByte();
            var q2 = Vector256.LoadUnsafe(ref query, 64).AsSByte();
            var q3 = Vector256.LoadUnsafe(ref query, 96).AsSByte();
            var m0 = Vector256.LoadUnsafe(ref abs);
            var m1 = Vector256.LoadUnsafe(ref abs, 32);
            var m2 = Vector256.LoadUnsafe(ref abs, 64);
            var m3 = Vector256.LoadUnsafe(ref abs, 96);
            for (var r = 0; r < count; r += 4)
            {
                ref var row = ref Unsafe.Add(ref rowStart, (nint)r * 128);
                var s0 = FoldToFour(DotRow128(ref row, q0, q1, q2, q3, m0, m1, m2, m3));
                var s1 = FoldToFour(DotRow128(ref Unsafe.Add(ref row, 128), q0, q1, q2, q3, m0, m1, m2, m3));
                var s2 = FoldToFour(DotRow128(ref Unsafe.Add(ref row, 256), q0, q1, q2, q3, m0, m1, m2, m3));
                var s3 = FoldToFour(DotRow128(ref Unsafe.Add(ref row, 384), q0, q1, q2, q3, m0, m1, m2, m3));
                Ssse3.HorizontalAdd(Ssse3.HorizontalAdd(s0, s1), Ssse3.HorizontalAdd(s2, s3)).StoreUnsafe(ref Unsafe.Add(ref score, r));
            }

            return count;
        }

        for (var r = 0; r < count; r += 4)
        {
            ref var row = ref Unsafe.Add(ref rowStart, (nint)r * dims);
            var s0 = FoldToFour(DotRowAvx2(ref row, ref query, ref abs, dims));
            var s1 = FoldToFour(DotRowAvx2(ref Unsafe.Add(ref row, dims), ref query, ref abs, dims));
            var s2 = FoldToFour(DotRowAvx2(ref Unsafe.Add(ref row, 2 * dims), ref query, ref abs, dims));
            var s3 = FoldToFour(DotRowAvx2(ref Unsafe.Add(ref row, 3 * dims), ref query, ref abs, dims));
            var sums = Ssse3.HorizontalAdd(Ssse3.HorizontalAdd(s0, s1), Ssse3.HorizontalAdd(s2, s3));
            sums.StoreUnsafe(ref Unsafe.Add(ref score, r));
        }

        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DotRow128(ref byte row, Vector256<sbyte> q0, Vector256<sbyte> q1, Vector256<sbyte> q2, Vector256<sbyte> q3,
        Vector256<byte> m0, Vector256<byte> m1, Vector256<byte> m2, Vector256<byte> m3)
    {
        var ones = Vector256.Create((short)1);
        var p0 = Avx2.MultiplyAddAdjacent(m0, Avx2.Sign(Vector256.LoadUnsafe(ref row).AsSByte(), q0));
        var p1 = Avx2.MultiplyAddAdjacent(m1, Avx2.Sign(Vector256.LoadUnsafe(ref row, 32).AsSByte(), q1));
        var p2 = Avx2.MultiplyAddAdjacent(m2, Avx2.Sign(Vector256.LoadUnsafe(ref row, 64).AsSByte(), q2));
        var p3 = Avx2.MultiplyAddAdjacent(m3, Avx2.Sign(Vector256.LoadUnsafe(ref row, 96).AsSByte(), q3));
        return (Avx2.MultiplyAddAdjacent(p0, ones) + Avx2.MultiplyAddAdjacent(p1, ones)) + (Avx2.MultiplyAddAdjacent(p2, ones) + Avx2.MultiplyAddAdjacent(p3, ones));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DotRowAvx2(ref byte row, ref byte query, ref byte abs, int dims)
    {
        var ones = Vector256.Create((short)1);
        var acc0 = Vector256<int>.Zero;
        var acc1 = Vector256<int>.Zero;
        var i = 0;
        for (; i <= dims - 64; i += 64)
        {
            var r0 = Avx2.Sign(Vector256.LoadUnsafe(ref row, (nuint)i).AsSByte(), Vector256.LoadUnsafe(ref query, (nuint)i).AsSByte());
            var r1 = Avx2.Sign(Vector256.LoadUnsafe(ref row, (nuint)(i + 32)).AsSByte(), Vector256.LoadUnsafe(ref query, (nuint)(i + 32)).AsSByte());
            acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref abs, (nuint)i), r0), ones));
            acc1 = Avx2.Add(acc1, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref abs, (nuint)(i + 32)), r1), ones));
        }

        if (i < dims)
        {
            var r0 = Avx2.Sign(Vector256.LoadUnsafe(ref row, (nuint)i).AsSByte(), Vector256.LoadUnsafe(ref query, (nuint)i).AsSByte());
            acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(Vector256.LoadUnsafe(ref abs, (nuint)i), r0), ones));
        }

        return acc0 + acc1;
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
    private static float DotFloat512(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => DotFloat512(a, default, b);

    /// <summary>
    /// <see cref="DotFloat512(ReadOnlySpan{float}, ReadOnlySpan{float})"/> of a row given as a head (a multiple of 64 values)
    /// and a tail: the head's 64-value steps are the whole row's first steps, so the accumulators, and the sum, are the same.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float DotFloat512(ReadOnlySpan<float> a, ReadOnlySpan<float> head, ReadOnlySpan<float> tail)
    {
        ref var x = ref MemoryMarshal.GetReference(a);
        ref var h = ref MemoryMarshal.GetReference(head);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var i = 0; i < head.Length; i += 64)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)i), Vector512.LoadUnsafe(ref h, (nuint)i), a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)(i + 16)), Vector512.LoadUnsafe(ref h, (nuint)(i + 16)), a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)(i + 32)), Vector512.LoadUnsafe(ref h, (nuint)(i + 32)), a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)(i + 48)), Vector512.LoadUnsafe(ref h, (nuint)(i + 48)), a3);
        }

        x = ref Unsafe.Add(ref x, head.Length);
        ref var y = ref MemoryMarshal.GetReference(tail);
        var n = tail.Length;
        var j = 0;
        for (; j <= n - 64; j += 64)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)j), Vector512.LoadUnsafe(ref y, (nuint)j), a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)(j + 16)), Vector512.LoadUnsafe(ref y, (nuint)(j + 16)), a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)(j + 32)), Vector512.LoadUnsafe(ref y, (nuint)(j + 32)), a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)(j + 48)), Vector512.LoadUnsafe(ref y, (nuint)(j + 48)), a3);
        }

        for (; j <= n - 16; j += 16)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref x, (nuint)j), Vector512.LoadUnsafe(ref y, (nuint)j), a0);
        }

        var sum = Vector512.Sum((a0 + a1) + (a2 + a3));
        for (; j < n; j++)
        {
            sum += Unsafe.Add(ref x, j) * Unsafe.Add(ref y, j);
        }

        return sum;
    }

    /// <summary>Dot product with 256-bit FMA, four accumulators, for rows of at least 32 values.</summary>
    private static float DotFloat256(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => DotFloat256(a, default, b);

    /// <summary><see cref="DotFloat256(ReadOnlySpan{float}, ReadOnlySpan{float})"/> of a row given as a head (a multiple of 32
    /// values) and a tail, with the same sum.</summary>
    private static float DotFloat256(ReadOnlySpan<float> a, ReadOnlySpan<float> head, ReadOnlySpan<float> tail)
    {
        ref var x = ref MemoryMarshal.GetReference(a);
        ref var h = ref MemoryMarshal.GetReference(head);
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        for (var i = 0; i < head.Length; i += 32)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)i), Vector256.LoadUnsafe(ref h, (nuint)i), a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(i + 8)), Vector256.LoadUnsafe(ref h, (nuint)(i + 8)), a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(i + 16)), Vector256.LoadUnsafe(ref h, (nuint)(i + 16)), a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(i + 24)), Vector256.LoadUnsafe(ref h, (nuint)(i + 24)), a3);
        }

        x = ref Unsafe.Add(ref x, head.Length);
        ref var y = ref MemoryMarshal.GetReference(tail);
        var n = tail.Length;
        var j = 0;
        for (; j <= n - 32; j += 32)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)j), Vector256.LoadUnsafe(ref y, (nuint)j), a0);
            a1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(j + 8)), Vector256.LoadUnsafe(ref y, (nuint)(j + 8)), a1);
            a2 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(j + 16)), Vector256.LoadUnsafe(ref y, (nuint)(j + 16)), a2);
            a3 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)(j + 24)), Vector256.LoadUnsafe(ref y, (nuint)(j + 24)), a3);
        }

        for (; j <= n - 8; j += 8)
        {
            a0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref x, (nuint)j), Vector256.LoadUnsafe(ref y, (nuint)j), a0);
        }

        var sum = Vector256.Sum((a0 + a1) + (a2 + a3));
        for (; j < n; j++)
        {
            sum += Unsafe.Add(ref x, j) * Unsafe.Add(ref y, j);
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
