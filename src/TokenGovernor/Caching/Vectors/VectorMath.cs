using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TokenGovernor;

/// <summary>SIMD kernels of the vector index.</summary>
internal static class VectorMath
{
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

    /// <summary>Integer dot product of two int8 vectors (values in [-127, 127], so no intermediate saturates).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DotInt8(ReadOnlySpan<sbyte> row, ReadOnlySpan<sbyte> query)
    {
        ref var r = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(row));
        ref var q = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(query));
        var i = 0;
        var n = row.Length;
        var sum = 0;
        if (Avx2.IsSupported && n >= 32)
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

            sum = Vector256.Sum(acc0 + acc1);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 16)
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

            sum = Vector128.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += (sbyte)Unsafe.Add(ref r, i) * (sbyte)Unsafe.Add(ref q, i);
        }

        return sum;
    }
}
