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

    /// <summary>Integer dot product of an int8 row with a query widened to int16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int DotInt8(ReadOnlySpan<sbyte> row, ReadOnlySpan<short> query)
    {
        ref var r = ref MemoryMarshal.GetReference(row);
        ref var q = ref MemoryMarshal.GetReference(query);
        var i = 0;
        var n = row.Length;
        var sum = 0;
        if (Avx2.IsSupported && n >= 32)
        {
            var acc0 = Vector256<int>.Zero;
            var acc1 = Vector256<int>.Zero;
            for (; i <= n - 32; i += 32)
            {
                var bytes = Vector256.LoadUnsafe(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref r, i))).AsSByte();
                var (lo, hi) = Vector256.Widen(bytes);
                acc0 = Avx2.Add(acc0, Avx2.MultiplyAddAdjacent(lo, Vector256.LoadUnsafe(ref Unsafe.Add(ref q, i))));
                acc1 = Avx2.Add(acc1, Avx2.MultiplyAddAdjacent(hi, Vector256.LoadUnsafe(ref Unsafe.Add(ref q, i + 16))));
            }

            sum = Vector256.Sum(acc0 + acc1);
        }
        else if (Vector128.IsHardwareAccelerated && n >= 16)
        {
            var acc = Vector128<int>.Zero;
            for (; i <= n - 16; i += 16)
            {
                var bytes = Vector128.LoadUnsafe(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref r, i))).AsSByte();
                var (lo, hi) = Vector128.Widen(bytes);
                var (l0, l1) = Vector128.Widen(lo * Vector128.LoadUnsafe(ref Unsafe.Add(ref q, i)));
                var (h0, h1) = Vector128.Widen(hi * Vector128.LoadUnsafe(ref Unsafe.Add(ref q, i + 8)));
                acc += l0 + l1 + h0 + h1;
            }

            sum = Vector128.Sum(acc);
        }

        for (; i < n; i++)
        {
            sum += Unsafe.Add(ref r, i) * Unsafe.Add(ref q, i);
        }

        return sum;
    }
}
