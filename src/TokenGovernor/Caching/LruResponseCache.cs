namespace TokenGovernor;

/// <summary>
/// The exact cache's own in-process store (when the app gives neither an <c>IDistributedCache</c> nor an <c>IMemoryCache</c>): a
/// least-recently-used map bounded in bytes, with one time to live for every entry, read from the pipeline's
/// <see cref="TimeProvider"/>. Every operation is O(1): a full cache evicts its least recently used entries as it stores,
/// instead of <c>MemoryCache</c>'s compaction, which enumerates and sorts every entry (at 128 MiB, a stall of tens of
/// milliseconds on the request that found the cache full) and rejects stores until it has run.
/// </summary>
/// <typeparam name="TValue">The stored value.</typeparam>
/// <remarks>Thread-safe: one short lock per operation (a dictionary lookup and a few pointer moves).</remarks>
internal sealed class LruResponseCache<TValue>
    where TValue : class
{
    private readonly Dictionary<string, Node> _map = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly long _limitBytes;
    private readonly long _ttlTicks;
    private readonly TimeProvider _time;
    private Node? _newest;
    private Node? _oldest;
    private long _bytes;

    /// <summary>Initializes an empty cache.</summary>
    /// <param name="limitBytes">The most bytes the entries may account for together (each entry states its own size).</param>
    /// <param name="timeToLive">How long an entry is served after it was stored.</param>
    /// <param name="time">The clock.</param>
    public LruResponseCache(long limitBytes, TimeSpan timeToLive, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limitBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(timeToLive.Ticks);
        _limitBytes = limitBytes;
        _time = time;
        // In the clock's timestamp units; saturates instead of overflowing for a time to live of centuries.
        var ticks = timeToLive.TotalSeconds * time.TimestampFrequency;
        _ttlTicks = ticks >= long.MaxValue / 2 ? long.MaxValue / 2 : (long)ticks;
    }

    /// <summary>Gets the number of entries held (expired ones included until they are found or evicted).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _map.Count;
            }
        }
    }

    /// <summary>Gets the bytes the held entries account for.</summary>
    public long Bytes
    {
        get
        {
            lock (_gate)
            {
                return _bytes;
            }
        }
    }

    /// <summary>Finds an entry stored less than the time to live ago, and marks it the most recently used.</summary>
    public bool TryGet(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TValue? value)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var node))
            {
                if (now - node.StoredAt < _ttlTicks)
                {
                    MoveToNewest(node);
                    value = node.Value;
                    return true;
                }

                Remove(node);
            }
        }

        value = null;
        return false;
    }

    /// <summary>
    /// Stores (or replaces) an entry as the most recently used, then evicts the least recently used entries until the cache is
    /// within its byte limit again. An entry larger than the whole limit is not stored, and evicts nothing.
    /// </summary>
    /// <returns>Whether the entry was stored.</returns>
    public bool Set(string key, TValue value, long sizeBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeBytes);
        if (sizeBytes > _limitBytes)
        {
            return false;
        }

        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _bytes += sizeBytes - node.Size;
                node.Value = value;
                node.Size = sizeBytes;
                node.StoredAt = now;
                MoveToNewest(node);
            }
            else
            {
                node = new Node(key, value, sizeBytes, now);
                _map.Add(key, node);
                _bytes += sizeBytes;
                LinkAsNewest(node);
            }

            // Expired entries at the old end go first even when there is room (every entry has the same time to live, so
            // entries that were never read again expire in this order), then least recently used ones until within the limit.
            while (_oldest is { } oldest && !ReferenceEquals(oldest, node) && (_bytes > _limitBytes || now - oldest.StoredAt >= _ttlTicks))
            {
                Remove(oldest);
            }
        }

        return true;
    }

    private void Remove(Node node)
    {
        Unlink(node);
        _map.Remove(node.Key);
        _bytes -= node.Size;
    }

    private void MoveToNewest(Node node)
    {
        if (!ReferenceEquals(_newest, node))
        {
            Unlink(node);
            LinkAsNewest(node);
        }
    }

    private void LinkAsNewest(Node node)
    {
        node.Older = _newest;
        node.Newer = null;
        if (_newest is not null)
        {
            _newest.Newer = node;
        }

        _newest = node;
        _oldest ??= node;
    }

    private void Unlink(Node node)
    {
        if (node.Newer is { } newer)
        {
            newer.Older = node.Older;
        }
        else
        {
            _newest = node.Older;
        }

        if (node.Older is { } older)
        {
            older.Newer = node.Newer;
        }
        else
        {
            _oldest = node.Newer;
        }

        node.Newer = null;
        node.Older = null;
    }

    private sealed class Node(string key, TValue value, long size, long storedAt)
    {
        public string Key { get; } = key;

        public TValue Value { get; set; } = value;

        public long Size { get; set; } = size;

        public long StoredAt { get; set; } = storedAt;

        public Node? Newer { get; set; }

        public Node? Older { get; set; }
    }
}
