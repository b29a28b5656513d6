using System.Collections.Concurrent;

namespace TokenGovernor;

/// <summary>
/// A bounded, thread-safe memo of per-message token counts. Two generations: entries are written to the young one and
/// promoted from the old one on a hit; when the young one is full it becomes the old one and the previous old one is dropped.
/// Memory is bounded by twice the capacity per generation, and recently used entries survive (an approximation of LRU).
/// </summary>
internal sealed class MessageCountCache
{
    private readonly int _generationCapacity;
    private readonly object _swapLock = new();
    private ConcurrentDictionary<UInt128, int> _young = new();
    private ConcurrentDictionary<UInt128, int> _old = new();

    public MessageCountCache(int capacity)
    {
        _generationCapacity = Math.Max(1, capacity / 2);
    }

    public int Count => Volatile.Read(ref _young).Count + Volatile.Read(ref _old).Count;

    public bool TryGet(UInt128 key, out int count)
    {
        if (Volatile.Read(ref _young).TryGetValue(key, out count))
        {
            return true;
        }

        if (Volatile.Read(ref _old).TryGetValue(key, out count))
        {
            Add(key, count);
            return true;
        }

        return false;
    }

    public void Add(UInt128 key, int count)
    {
        var young = Volatile.Read(ref _young);
        if (young.Count >= _generationCapacity)
        {
            lock (_swapLock)
            {
                if (ReferenceEquals(young, _young))
                {
                    Volatile.Write(ref _old, young);
                    Volatile.Write(ref _young, new ConcurrentDictionary<UInt128, int>());
                }

                young = _young;
            }
        }

        young[key] = count;
    }
}
