using System.Runtime.InteropServices;

namespace TokenGovernor;

/// <summary>
/// Growable row storage whose first element is 64-byte aligned, so 512-bit loads of rows whose byte length is a multiple of 64
/// (384 floats, 384 bytes) never straddle two cache lines. The array lives on the pinned object heap, where it never moves, so
/// the offset found once stays right; the GC still frees it when it is no longer referenced.
/// </summary>
/// <remarks>Storage under <see cref="MinAlignedBytes"/> is an ordinary array (offset 0, not aligned): most partitions hold a few
/// rows (one per conversation history), their scans are short, and a pinned allocation plus a GC handle cost microseconds each,
/// more than such a partition's searches ever save by alignment (a new partition was 2.7% of a cache miss's time).</remarks>
/// <typeparam name="TElement">The element type.</typeparam>
internal sealed class AlignedRows<TElement>
    where TElement : unmanaged
{
    private const int Alignment = 64;

    /// <summary>The smallest storage, in bytes, allocated pinned and aligned.</summary>
    internal const int MinAlignedBytes = 16 * 1024;
    private TElement[] _array;
    private int _offset;

    public AlignedRows(int length) => (_array, _offset, Length) = Allocate(length);

    /// <summary>Gets the usable length.</summary>
    public int Length { get; private set; }

    /// <summary>Gets the backing array (elements start at <see cref="Offset"/>).</summary>
    public TElement[] Array => _array;

    /// <summary>Gets the index of the first, aligned, element in <see cref="Array"/>.</summary>
    public int Offset => _offset;

    public Span<TElement> Span => _array.AsSpan(_offset, Length);

    public Span<TElement> Slice(int start, int length) => _array.AsSpan(_offset + start, length);

    /// <summary>Grows to <paramref name="length"/> elements, keeping the contents.</summary>
    public void Resize(int length)
    {
        var (array, offset, usable) = Allocate(length);
        Span[..Math.Min(Length, usable)].CopyTo(array.AsSpan(offset, usable));
        (_array, _offset, Length) = (array, offset, usable);
    }

    private static (TElement[] Array, int Offset, int Length) Allocate(int length)
    {
        if (length == 0)
        {
            // Nothing to align (rows this index does not keep, such as int8 rows when it does not quantise).
            return ([], 0, 0);
        }

        var size = System.Runtime.CompilerServices.Unsafe.SizeOf<TElement>();
        if ((long)length * size < MinAlignedBytes)
        {
            return (new TElement[length], 0, length);
        }

        var array = GC.AllocateArray<TElement>(length + (Alignment / size), pinned: true);
        var handle = GCHandle.Alloc(array, GCHandleType.Pinned);
        try
        {
            var address = handle.AddrOfPinnedObject().ToInt64();
            var misalignment = (int)(address & (Alignment - 1));
            return (array, misalignment == 0 ? 0 : (Alignment - misalignment) / size, length);
        }
        finally
        {
            handle.Free();
        }
    }
}
