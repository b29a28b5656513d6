using System.Buffers;
using System.Collections.Concurrent;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace TokenGovernor;

/// <summary>
/// An in-process vector index for similarity search: rows L2-normalised at insert so cosine similarity is a dot product,
/// stored contiguously (no per-entry arrays; from 192 dimensions as a head block, an int8 copy of it, and a tail block, so a
/// threshold search reads the int8 heads and a row's float values only when its head leaves the threshold within reach) in partitions that are searched separately,
/// scored with SIMD kernels; optionally scanned as int8 (per-row scale) with exact float re-ranking of the best candidates;
/// entries expire after a TTL and the least recently used are evicted under a memory cap.
/// </summary>
/// <typeparam name="T">The payload kept with each vector.</typeparam>
/// <remarks>
/// Thread-safe. Each partition has a reader-writer lock: concurrent searches never block one another; an insert or removal
/// waits for searches of its partition to finish and is never seen half-written. A search only scans its own partition; a
/// partition larger than <see cref="VectorIndexOptions.ParallelScanThreshold"/> is scanned on all cores.
/// </remarks>
internal sealed class VectorIndex<T>
{
    private readonly VectorIndexOptions _options;
    private readonly TimeProvider _time;
    private readonly int _dims;
    private readonly long _bytesPerRow;
    private readonly ConcurrentDictionary<string, Partition> _partitions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<long, Partition> _owners = new();
    private readonly object _evictLock = new();
    private long _nextId;
    /// <summary>One entry of a partition's id → row dictionary: key, value, hash code and next index.</summary>
    private const int RowMapBytes = sizeof(long) + (3 * sizeof(int)) + sizeof(int);
    private readonly long _codeBytesPerRow;
    private long _rows;
    private long _codedRows;

    /// <summary>Initializes a new index.</summary>
    /// <param name="options">The options (copied), or <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock for TTL and recency; defaults to <see cref="TimeProvider.System"/>.</param>
    public VectorIndex(VectorIndexOptions? options = null, TimeProvider? timeProvider = null)
    {
        var o = options ?? new VectorIndexOptions();
        _options = new VectorIndexOptions
        {
            Dimensions = o.Dimensions,
            Quantize = o.Quantize,
            RerankCandidates = o.RerankCandidates,
            TimeToLive = o.TimeToLive,
            MemoryCapBytes = o.MemoryCapBytes,
            ParallelScanThreshold = o.ParallelScanThreshold,
            BinaryQuantize = o.BinaryQuantize,
            BinaryQuantizeMinRows = o.BinaryQuantizeMinRows,
            BinaryRerankCandidates = o.BinaryRerankCandidates,
        };
        OptionsValidation.ThrowIfInvalid(new VectorIndexOptionsValidator(), _options);
        _time = timeProvider ?? TimeProvider.System;
        _dims = _options.Dimensions;
        _bytesPerRow = BytesPerEntry(_dims, _options.Quantize);
        _codeBytesPerRow = VectorMath.CodeWords(_dims) * sizeof(ulong);
    }

    /// <summary>Gets the vector dimension.</summary>
    public int Dimensions => _dims;

    /// <summary>Gets the number of entries.</summary>
    public long Count => Interlocked.Read(ref _rows);

    /// <summary>Gets the number of partitions held (partitions left empty by removal or eviction are dropped).</summary>
    internal int PartitionCount => _partitions.Count;

    /// <summary>Gets the bytes the rows use now (vectors, int8 copies, binary codes where a partition has them, and bookkeeping;
    /// payload objects not included).</summary>
    public long MemoryBytes => (Count * _bytesPerRow) + (Interlocked.Read(ref _codedRows) * _codeBytesPerRow);

    /// <summary>Gets the bytes one entry uses: the float row (and, from 192 dimensions, the norms of its tail's eight blocks and an int8 copy of
    /// its head with its scale and two error terms, see <see cref="VectorMath.HeadDims"/> and <see cref="VectorMath.HeadBounds"/>), the int8 row and its scale when quantised, and 56 bytes of bookkeeping (id, expiry, last
    /// access, payload reference, and the id → row map that makes removal O(1)).</summary>
    /// <param name="dimensions">The vector dimension.</param>
    /// <param name="quantize">Whether rows are also kept as int8.</param>
    /// <returns>Bytes per entry.</returns>
    public static long BytesPerEntry(int dimensions, bool quantize) =>
        (dimensions * sizeof(float)) + (VectorMath.HeadDims(dimensions) < dimensions ? (VectorMath.TailBlocks * sizeof(float)) + VectorMath.HeadDims(dimensions) + (3 * sizeof(float)) : 0)
        + (quantize ? dimensions + sizeof(float) : 0) + (3 * sizeof(long)) + IntPtr.Size + RowMapBytes;

    /// <summary>Gets the bytes one entry uses, with or without its binary code (<see cref="VectorIndexOptions.BinaryQuantize"/>).</summary>
    /// <param name="dimensions">The vector dimension.</param>
    /// <param name="quantize">Whether rows are also kept as int8.</param>
    /// <param name="binary">Whether the row has a 1-bit code (<c>ceil(dimensions / 64) × 8</c> bytes).</param>
    /// <returns>Bytes per entry.</returns>
    public static long BytesPerEntry(int dimensions, bool quantize, bool binary) =>
        BytesPerEntry(dimensions, quantize) + (binary ? VectorMath.CodeWords(dimensions) * sizeof(ulong) : 0);

    /// <summary>Adds a vector. It is L2-normalised; the caller's span is not changed.</summary>
    /// <param name="partition">The partition to add to (searches only see their own partition).</param>
    /// <param name="vector">The vector, of <see cref="Dimensions"/> values.</param>
    /// <param name="payload">The payload returned with matches.</param>
    /// <returns>The entry's id.</returns>
    /// <exception cref="ArgumentException">The vector has the wrong dimension, or is zero, NaN or infinite.</exception>
    public long Add(string partition, ReadOnlySpan<float> vector, T payload) => Add(partition, vector, payload, null);

    /// <summary>Adds a vector that expires at a given time (an entry replicated from another instance keeps its original expiry).</summary>
    /// <param name="partition">The partition to add to.</param>
    /// <param name="vector">The vector, of <see cref="Dimensions"/> values.</param>
    /// <param name="payload">The payload returned with matches.</param>
    /// <param name="expiresAt">When the entry expires; <see langword="null"/> applies <see cref="VectorIndexOptions.TimeToLive"/> from now.</param>
    /// <returns>The entry's id.</returns>
    /// <exception cref="ArgumentException">The vector has the wrong dimension, or is zero, NaN or infinite.</exception>
    public long Add(string partition, ReadOnlySpan<float> vector, T payload, DateTimeOffset? expiresAt)
    {
        ArgumentNullException.ThrowIfNull(partition);
        CheckDimensions(vector, nameof(vector));
        var normalised = _dims <= 2048 ? stackalloc float[_dims] : new float[_dims];
        if (!VectorMath.Normalize(vector, normalised))
        {
            throw new ArgumentException("The vector is zero, NaN or infinite; it cannot be normalised.", nameof(vector));
        }

        var now = _time.GetUtcNow().UtcTicks;
        var expires = expiresAt is { } at ? at.UtcTicks : _options.TimeToLive is { } ttl ? now + ttl.Ticks : long.MaxValue;
        var id = Interlocked.Increment(ref _nextId);
        Partition p;
        var coded = -1;
        do
        {
            // TryGetValue first: GetOrAdd<TArg> is a generic method of a shared generic instantiation, and resolving it went through
            // the runtime's generic lookup on every insert (1.6% of a full-stack cache miss); only a new partition needs it.
            p = _partitions.TryGetValue(partition, out var existing)
                ? existing
                : _partitions.GetOrAdd(partition, static (name, s) => new Partition(name, s._dims, s._options), this);

            p.Lock.EnterWriteLock();
            try
            {
                // A partition that emptied is taken out of the index (under its write lock); an insert that raced with that
                // goes to its successor instead.
                if (!p.Detached)
                {
                    coded = p.Append(id, normalised, payload, now, expires);
                }
            }
            finally
            {
                p.Lock.ExitWriteLock();
            }
        }
        while (coded < 0);

        _owners[id] = p;
        Interlocked.Add(ref _codedRows, coded);
        Interlocked.Increment(ref _rows);
        if (MemoryBytes > _options.MemoryCapBytes)
        {
            EvictLeastRecentlyUsed();
        }

        return id;
    }

    /// <summary>Removes an entry.</summary>
    /// <param name="id">The entry's id.</param>
    /// <returns><see langword="true"/> when it was present.</returns>
    public bool Remove(long id)
    {
        if (!_owners.TryRemove(id, out var p))
        {
            return false;
        }

        bool coded;
        p.Lock.EnterWriteLock();
        try
        {
            if (!p.RemoveById(id, out coded))
            {
                return false;
            }

            DetachIfEmpty(p);
        }
        finally
        {
            p.Lock.ExitWriteLock();
        }

        Interlocked.Decrement(ref _rows);
        if (coded)
        {
            Interlocked.Decrement(ref _codedRows);
        }

        return true;
    }

    /// <summary>Removes every expired entry now (expired entries are never returned by searches, whether removed or not).</summary>
    /// <returns>How many entries were removed.</returns>
    public int RemoveExpired()
    {
        lock (_evictLock)
        {
            return Evict(long.MaxValue);
        }
    }

    /// <summary>Finds the entries of <paramref name="partition"/> most similar to <paramref name="query"/>.</summary>
    /// <param name="partition">The partition to search.</param>
    /// <param name="query">The query vector (normalised here).</param>
    /// <param name="k">How many matches at most.</param>
    /// <param name="threshold">The lowest cosine similarity returned.</param>
    /// <returns>Up to <paramref name="k"/> matches, best first.</returns>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "The overloads differ in a required parameter (a count or a result span), so a call is never ambiguous.")]
    public IReadOnlyList<VectorMatch<T>> Search(string partition, ReadOnlySpan<float> query, int k = 1, float threshold = -1f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        var results = new VectorMatch<T>[k];
        var n = Search(partition, query, results, threshold);
        return n == k ? results : results[..n];
    }

    /// <summary>Finds the entries most similar to <paramref name="query"/> without allocating: fills <paramref name="results"/>, best first.</summary>
    /// <param name="partition">The partition to search.</param>
    /// <param name="query">The query vector (normalised here).</param>
    /// <param name="results">Receives up to <c>results.Length</c> matches.</param>
    /// <param name="threshold">The lowest cosine similarity returned.</param>
    /// <returns>The number of matches written.</returns>
    /// <exception cref="ArgumentException">The query has the wrong dimension.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "The overloads differ in a required parameter (a count or a result span), so a call is never ambiguous.")]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027:Public API with optional parameter(s) should have the most parameters amongst its public overloads",
        Justification = "Both overloads take four parameters; they differ in the type of the third.")]
    public int Search(string partition, ReadOnlySpan<float> query, Span<VectorMatch<T>> results, float threshold = -1f)
    {
        ArgumentNullException.ThrowIfNull(partition);
        CheckDimensions(query, nameof(query));
        if (results.IsEmpty || !_partitions.TryGetValue(partition, out var p))
        {
            return 0;
        }

        var q = _dims <= 2048 ? stackalloc float[_dims] : new float[_dims];
        if (!VectorMath.Normalize(query, q))
        {
            return 0;
        }

        var now = _time.GetUtcNow().UtcTicks;
        p.Lock.EnterReadLock();
        try
        {
            var k = Math.Min(results.Length, p.Count);
            if (k == 0)
            {
                return 0;
            }

            Span<int> rows = stackalloc int[k];
            Span<float> scores = stackalloc float[k];
            int found;
            if (p.HasCodes)
            {
                found = SearchBinary(p, q, rows, scores, now);
            }
            else if (_options.Quantize)
            {
                var candidates = Math.Min(p.Count, Math.Max(k, _options.RerankCandidates));
                Span<int> candidateRows = candidates <= 1024 ? stackalloc int[candidates] : new int[candidates];
                Span<float> candidateScores = candidates <= 1024 ? stackalloc float[candidates] : new float[candidates];
                Span<sbyte> q8 = _dims <= 2048 ? stackalloc sbyte[_dims] : new sbyte[_dims];
                VectorMath.Quantize(q, q8);
                var c = p.Count >= _options.ParallelScanThreshold
                    ? p.ScanInt8Parallel(q8, candidateRows, candidateScores, now)
                    : p.ScanInt8(q8, 0, p.Count, candidateRows, candidateScores, now);
                found = 0;
                Span<float> row = _dims <= 2048 ? stackalloc float[_dims] : new float[_dims];
                for (var i = 0; i < c; i++)
                {
                    var exact = p.ExactScore(q, candidateRows[i], row);
                    found = TopK.Insert(rows, scores, found, candidateRows[i], exact);
                }
            }
            else
            {
                found = p.Count >= _options.ParallelScanThreshold
                    ? p.ScanFloatParallel(q, rows, scores, now, threshold)
                    : p.ScanFloat(q, 0, p.Count, rows, scores, now, threshold);
            }

            var written = 0;
            for (var i = 0; i < found; i++)
            {
                if (scores[i] < threshold)
                {
                    break;
                }

                p.Touch(rows[i], now);
                results[written++] = new VectorMatch<T>(p.Ids[rows[i]], scores[i], p.Payloads[rows[i]]);
            }

            return written;
        }
        finally
        {
            p.Lock.ExitReadLock();
        }
    }

    private void CheckDimensions(ReadOnlySpan<float> vector, string name)
    {
        if (vector.Length != _dims)
        {
            throw new ArgumentException($"The vector has {vector.Length} dimensions; this index holds {_dims}-dimensional vectors (VectorIndexOptions.Dimensions).", name);
        }
    }

    private void EvictLeastRecentlyUsed()
    {
        if (!Monitor.TryEnter(_evictLock))
        {
            return;
        }

        try
        {
            Evict(_options.MemoryCapBytes / (_bytesPerRow + (_options.BinaryQuantize ? _codeBytesPerRow : 0)));
        }
        finally
        {
            Monitor.Exit(_evictLock);
        }
    }

    /// <summary>
    /// Removes every expired entry and, when more than <paramref name="capRows"/> live entries remain, the least recently used
    /// down to 15/16 of the cap (so eviction cost is amortised over many inserts); partitions left empty are taken out of the
    /// index, so partitions that come and go (one per conversation history) do not accumulate. Called under the eviction lock.
    /// </summary>
    /// <returns>How many entries were removed.</returns>
    /// <remarks>One pass over the rows, into pooled buffers: each row's recency key (expired rows get the lowest), its id and its
    /// partition; victims are removed per partition under one write lock.</remarks>
    private int Evict(long capRows)
    {
        var now = _time.GetUtcNow().UtcTicks;
        var partitions = ArrayPool<Partition>.Shared.Rent(16);
        var count = 0;
        foreach (var (_, partition) in _partitions)
        {
            if (count == partitions.Length)
            {
                Grow(ref partitions, count, count + 1);
            }

            partitions[count++] = partition;
        }

        var capacity = (int)Math.Min(Count + 64, Array.MaxLength);
        var keys = ArrayPool<long>.Shared.Rent(capacity);
        var ids = ArrayPool<long>.Shared.Rent(capacity);
        var owners = ArrayPool<int>.Shared.Rent(capacity);
        try
        {
            var n = 0;
            var expired = 0;
            for (var pi = 0; pi < count; pi++)
            {
                var p = partitions[pi];
                if (p.Count == 0)
                {
                    // Emptied by Remove racing with an insert that has not landed yet, or never filled: detach it if still empty.
                    p.Lock.EnterWriteLock();
                    try
                    {
                        DetachIfEmpty(p);
                    }
                    finally
                    {
                        p.Lock.ExitWriteLock();
                    }

                    continue;
                }

                p.Lock.EnterReadLock();
                try
                {
                    if (n + p.Count > keys.Length)
                    {
                        Grow(ref keys, n, n + p.Count);
                        Grow(ref ids, n, n + p.Count);
                        Grow(ref owners, n, n + p.Count);
                    }

                    expired += p.Snapshot(now, keys.AsSpan(n), ids.AsSpan(n));
                    owners.AsSpan(n, p.Count).Fill(pi);
                    n += p.Count;
                }
                finally
                {
                    p.Lock.ExitReadLock();
                }
            }

            var live = n - expired;
            var victims = expired;
            if (live > capRows)
            {
                victims = (int)Math.Min(n, expired + (live - (capRows - (capRows / 16))));
            }

            if (victims == 0)
            {
                return 0;
            }

            if (victims < n)
            {
                // The victims are the rows whose key is below the victims-th smallest, then as many of those equal to it as are
                // still needed (in snapshot order; a sort would break such ties arbitrarily too): a selection, not a sort.
                var scratch = ArrayPool<long>.Shared.Rent(n);
                long pivot;
                try
                {
                    keys.AsSpan(0, n).CopyTo(scratch);
                    pivot = NthSmallest(scratch.AsSpan(0, n), victims - 1);
                }
                finally
                {
                    ArrayPool<long>.Shared.Return(scratch);
                }

                var equal = victims;
                for (var i = 0; i < n; i++)
                {
                    equal -= keys[i] < pivot ? 1 : 0;
                }

                var taken = 0;
                for (var i = 0; i < n && taken < victims; i++)
                {
                    if (keys[i] < pivot || (keys[i] == pivot && equal-- > 0))
                    {
                        ids[taken] = ids[i];
                        owners[taken] = owners[i];
                        taken++;
                    }
                }
            }

            // Group the victims by partition, so each partition is locked once.
            owners.AsSpan(0, victims).Sort(ids.AsSpan(0, victims));
            var removed = 0;
            for (var start = 0; start < victims;)
            {
                var pi = owners[start];
                var end = start;
                while (end < victims && owners[end] == pi)
                {
                    end++;
                }

                removed += RemoveFrom(partitions[pi], ids.AsSpan(start, end - start));
                start = end;
            }

            return removed;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(keys);
            ArrayPool<long>.Shared.Return(ids);
            ArrayPool<int>.Shared.Return(owners);
            ArrayPool<Partition>.Shared.Return(partitions, clearArray: true);
        }
    }

    /// <summary>
    /// The value that would be at <paramref name="nth"/> (0-based) if <paramref name="values"/> were sorted ascending; reorders
    /// <paramref name="values"/>. Quickselect with a three-way partition (runs of equal keys, common for recency ticks, end a
    /// round at once) around the median of three; after 2·log₂(n) + 8 rounds the rest is sorted, so the worst case is O(n log n).
    /// </summary>
    internal static long NthSmallest(Span<long> values, int nth)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nth);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(nth, values.Length);
        var low = 0;
        var high = values.Length - 1;
        var rounds = (2 * BitOperations.Log2((uint)values.Length)) + 8;
        while (high - low > 16 && rounds-- > 0)
        {
            var a = values[low];
            var b = values[low + ((high - low) / 2)];
            var c = values[high];
            var pivot = Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));

            // [low, lt) < pivot, [lt, i) == pivot, (gt, high] > pivot.
            var lt = low;
            var gt = high;
            var i = low;
            while (i <= gt)
            {
                var v = values[i];
                if (v < pivot)
                {
                    (values[lt], values[i]) = (v, values[lt]);
                    lt++;
                    i++;
                }
                else if (v > pivot)
                {
                    (values[gt], values[i]) = (v, values[gt]);
                    gt--;
                }
                else
                {
                    i++;
                }
            }

            if (nth < lt)
            {
                high = lt - 1;
            }
            else if (nth > gt)
            {
                low = gt + 1;
            }
            else
            {
                return pivot;
            }
        }

        values[low..(high + 1)].Sort();
        return values[nth];
    }

    /// <summary>Takes an empty partition out of the index (called under its write lock), so emptied partitions do not accumulate.</summary>
    private void DetachIfEmpty(Partition p)
    {
        if (p.Count == 0 && !p.Detached)
        {
            p.Detached = true;
            _partitions.TryRemove(new KeyValuePair<string, Partition>(p.Name, p));
        }
    }

    private static void Grow<TItem>(ref TItem[] buffer, int used, int needed)
    {
        var larger = ArrayPool<TItem>.Shared.Rent(Math.Max(needed, buffer.Length * 2));
        buffer.AsSpan(0, used).CopyTo(larger);
        ArrayPool<TItem>.Shared.Return(buffer);
        buffer = larger;
    }

    /// <summary>Removes <paramref name="victims"/> from <paramref name="p"/> under one write lock, and takes the partition out of the
    /// index when it is left empty. An id another thread's <see cref="Remove"/> took first is skipped (whoever takes it from the
    /// owner map removes its row).</summary>
    private int RemoveFrom(Partition p, Span<long> victims)
    {
        var taken = 0;
        for (var i = 0; i < victims.Length; i++)
        {
            if (_owners.TryRemove(victims[i], out _))
            {
                victims[taken++] = victims[i];
            }
        }

        var removed = 0;
        var coded = 0;
        p.Lock.EnterWriteLock();
        try
        {
            for (var i = 0; i < taken; i++)
            {
                if (p.RemoveById(victims[i], out var c))
                {
                    removed++;
                    coded += c ? 1 : 0;
                }
            }

            DetachIfEmpty(p);
        }
        finally
        {
            p.Lock.ExitWriteLock();
        }

        Interlocked.Add(ref _rows, -removed);
        Interlocked.Add(ref _codedRows, -coded);
        return removed;
    }

    /// <summary>Hamming prefilter on the partition's binary codes, then an exact float re-rank of the nearest candidates.</summary>
    private int SearchBinary(Partition p, ReadOnlySpan<float> q, Span<int> rows, Span<float> scores, long now)
    {
        var words = VectorMath.CodeWords(_dims);
        Span<ulong> code = words <= 256 ? stackalloc ulong[words] : new ulong[words];
        VectorMath.Binarize(q, p.Centre, code);
        var candidates = Math.Min(p.Count, Math.Max(rows.Length, _options.BinaryRerankCandidates));
        var rented = candidates > 1024 ? ArrayPool<int>.Shared.Rent(candidates) : null;
        try
        {
            var candidateRows = rented is null ? stackalloc int[candidates] : rented.AsSpan(0, candidates);
            var c = p.NearestByHamming(code, candidateRows, now, parallel: p.Count >= _options.ParallelScanThreshold);
            var found = 0;
            Span<float> row = _dims <= 2048 ? stackalloc float[_dims] : new float[_dims];
            for (var i = 0; i < c; i++)
            {
                found = TopK.Insert(rows, scores, found, candidateRows[i], p.ExactScore(q, candidateRows[i], row));
            }

            return found;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<int>.Shared.Return(rented);
            }
        }
    }

    private static class TopK
    {
        /// <summary>Inserts (row, score) into a best-first list of capacity rows.Length; returns the new count.</summary>
        public static int Insert(Span<int> rows, Span<float> scores, int count, int row, float score)
        {
            if (count == rows.Length && score <= scores[count - 1])
            {
                return count;
            }

            var i = count == rows.Length ? count - 1 : count++;
            while (i > 0 && scores[i - 1] < score)
            {
                scores[i] = scores[i - 1];
                rows[i] = rows[i - 1];
                i--;
            }

            scores[i] = score;
            rows[i] = row;
            return count;
        }
    }

    private sealed class Partition(string name, int dims, VectorIndexOptions options)
    {
        /// <summary>Rows scored per block: the scores of a block are computed in one tight kernel loop, then filtered into the top k.</summary>
        private const int BlockRows = 64;

        /// <summary>Rows a new partition has room for (then doubling). Small: many partitions hold one conversation's few
        /// questions (a partition per system prompt, tool set and recent history), and a new one is made on such a miss.</summary>
        private const int InitialRows = 4;

        private readonly bool _quantize = options.Quantize;
        private readonly int _codeAt = options.BinaryQuantize ? options.BinaryQuantizeMinRows : int.MaxValue;
        private readonly int _words = VectorMath.CodeWords(dims);
        // Float rows are stored split: the first HeadDims values of every row in one block (rows × head), the rest in another
        // (rows × tail), each contiguous, with the norms of each row's eight tail blocks. A threshold search reads the head block and skips the tail of
        // every row whose bound cannot reach the cut-off (see ScanFloat). Below 192 dimensions the head is the whole row.
        private readonly int _head = VectorMath.HeadDims(dims);
        private readonly int _tail = dims - VectorMath.HeadDims(dims);
        private readonly float _slack = VectorMath.BoundSlack(dims);
        private readonly AlignedRows<float> _heads = new(VectorMath.HeadDims(dims) * InitialRows);
        private readonly AlignedRows<float> _tails = new((dims - VectorMath.HeadDims(dims)) * InitialRows);
        private readonly float[][] _tailNorms = VectorMath.HeadDims(dims) < dims
            ? [.. Enumerable.Range(0, VectorMath.TailBlocks).Select(_ => new float[InitialRows])]
            : [];
        // A split row's head is also kept as int8 (one scale per row) with two error terms, so the threshold search's first pass
        // reads a quarter of the bytes; see HeadBound. _headTerms holds, per row, the scale s, s·‖b‖ and ‖r₁ − s·b‖ (b the int8 head).
        private readonly AlignedRows<sbyte> _heads8 = new(VectorMath.HeadDims(dims) < dims ? VectorMath.HeadDims(dims) * InitialRows : 0);
        private float[] _headScales = VectorMath.HeadDims(dims) < dims ? new float[InitialRows] : [];
        private float[] _headLengths = VectorMath.HeadDims(dims) < dims ? new float[InitialRows] : [];
        private float[] _headErrors = VectorMath.HeadDims(dims) < dims ? new float[InitialRows] : [];
        private readonly AlignedRows<sbyte> _bytes = new(options.Quantize ? dims * InitialRows : 0);
        private float[] _scales = options.Quantize ? new float[InitialRows] : [];
        private ulong[] _codes = [];
        private long[] _expires = new long[InitialRows];
        private readonly Dictionary<long, int> _rowOf = [];

        public ReaderWriterLockSlim Lock { get; } = new(LockRecursionPolicy.NoRecursion);

        /// <summary>Gets the partition's key in the index.</summary>
        public string Name { get; } = name;

        /// <summary>Gets or sets (under the write lock) whether the partition emptied and was taken out of the index; inserts then
        /// go to a new partition of the same name.</summary>
        public bool Detached { get; set; }

        public int Count { get; private set; }

        public long[] Ids { get; private set; } = new long[InitialRows];

        public T[] Payloads { get; private set; } = new T[InitialRows];

        public long[] LastAccess = new long[InitialRows];

        /// <summary>Gets whether rows have binary codes (the partition reached <see cref="VectorIndexOptions.BinaryQuantizeMinRows"/>).</summary>
        public bool HasCodes => Centre.Length != 0;

        /// <summary>Gets the mean row the binary codes are signs against (empty until codes are built).</summary>
        public float[] Centre { get; private set; } = [];

        private ReadOnlySpan<float> Head(int row) => _heads.Slice(row * _head, _head);

        private ReadOnlySpan<float> Tail(int row) => _tails.Slice(row * _tail, _tail);

        /// <summary>Copies a row's values (head, then tail) into <paramref name="destination"/>, of <c>dims</c> values.</summary>
        public void CopyRow(int row, Span<float> destination)
        {
            Head(row).CopyTo(destination);
            Tail(row).CopyTo(destination[_head..]);
        }

        /// <summary>The exact score of a candidate (<see cref="TensorPrimitives.Dot(ReadOnlySpan{float}, ReadOnlySpan{float})"/>
        /// of the whole row, gathered into <paramref name="buffer"/> when it is split).</summary>
        public float ExactScore(ReadOnlySpan<float> q, int row, Span<float> buffer)
        {
            if (_tail == 0)
            {
                return TensorPrimitives.Dot(q, Head(row));
            }

            CopyRow(row, buffer);
            return TensorPrimitives.Dot(q, buffer[..dims]);
        }

        public void Touch(int row, long now) => Volatile.Write(ref LastAccess[row], now);

        /// <summary>Appends a row; returns how many rows got binary codes by it (0, 1, or all rows when codes are first built).</summary>
        public int Append(long id, ReadOnlySpan<float> normalised, T payload, long now, long expires)
        {
            if (Count == Ids.Length)
            {
                var capacity = Ids.Length * 2;
                _heads.Resize(capacity * _head);
                _tails.Resize(capacity * _tail);
                if (_tail > 0)
                {
                    for (var k = 0; k < _tailNorms.Length; k++)
                    {
                        Array.Resize(ref _tailNorms[k], capacity);
                    }
                    _heads8.Resize(capacity * _head);
                    Array.Resize(ref _headScales, capacity);
                    Array.Resize(ref _headLengths, capacity);
                    Array.Resize(ref _headErrors, capacity);
                }

                if (_quantize)
                {
                    _bytes.Resize(capacity * dims);
                    Array.Resize(ref _scales, capacity);
                }

                if (HasCodes)
                {
                    Array.Resize(ref _codes, capacity * _words);
                }

                var ids = Ids;
                var payloads = Payloads;
                Array.Resize(ref ids, capacity);
                Array.Resize(ref payloads, capacity);
                Array.Resize(ref LastAccess, capacity);
                Array.Resize(ref _expires, capacity);
                Ids = ids;
                Payloads = payloads;
            }

            var row = Count;
            normalised[.._head].CopyTo(_heads.Slice(row * _head, _head));
            if (_tail > 0)
            {
                normalised[_head..].CopyTo(_tails.Slice(row * _tail, _tail));
                Span<float> norms = stackalloc float[VectorMath.TailBlocks];
                VectorMath.TailBlockNorms(normalised[_head..], norms);
                for (var k = 0; k < norms.Length; k++)
                {
                    _tailNorms[k][row] = norms[k];
                }
                (_headScales[row], _headLengths[row], _headErrors[row]) = VectorMath.QuantizeHead(normalised[.._head], _heads8.Slice(row * _head, _head));
            }

            if (_quantize)
            {
                _scales[row] = VectorMath.Quantize(normalised, _bytes.Slice(row * dims, dims));
            }

            Ids[row] = id;
            _rowOf[id] = row;
            Payloads[row] = payload;
            LastAccess[row] = now;
            _expires[row] = expires;
            Count++;
            if (HasCodes)
            {
                VectorMath.Binarize(normalised, Centre, _codes.AsSpan(row * _words, _words));
                return 1;
            }

            if (Count >= _codeAt)
            {
                BuildCodes();
                return Count;
            }

            return 0;
        }

        public bool RemoveById(long id, out bool coded)
        {
            coded = HasCodes;
            if (!_rowOf.Remove(id, out var row))
            {
                return false;
            }

            var last = Count - 1;
            if (row != last)
            {
                _heads.Slice(last * _head, _head).CopyTo(_heads.Slice(row * _head, _head));
                if (_tail > 0)
                {
                    _tails.Slice(last * _tail, _tail).CopyTo(_tails.Slice(row * _tail, _tail));
                    foreach (var norms in _tailNorms)
                    {
                        norms[row] = norms[last];
                    }
                    _heads8.Slice(last * _head, _head).CopyTo(_heads8.Slice(row * _head, _head));
                    _headScales[row] = _headScales[last];
                    _headLengths[row] = _headLengths[last];
                    _headErrors[row] = _headErrors[last];
                }

                if (_quantize)
                {
                    _bytes.Slice(last * dims, dims).CopyTo(_bytes.Slice(row * dims, dims));
                    _scales[row] = _scales[last];
                }

                if (coded)
                {
                    _codes.AsSpan(last * _words, _words).CopyTo(_codes.AsSpan(row * _words, _words));
                }

                Ids[row] = Ids[last];
                _rowOf[Ids[row]] = row;
                Payloads[row] = Payloads[last];
                LastAccess[row] = LastAccess[last];
                _expires[row] = _expires[last];
            }

            Payloads[last] = default!;
            Count--;
            return true;
        }

        /// <summary>Writes each row's recency key (<see cref="long.MinValue"/> when expired, so expired rows sort first) and id;
        /// returns how many rows are expired. Called under the read lock; the spans hold at least <see cref="Count"/> items.</summary>
        public int Snapshot(long now, Span<long> keys, Span<long> ids)
        {
            var expired = 0;
            for (var i = 0; i < Count; i++)
            {
                if (_expires[i] <= now)
                {
                    keys[i] = long.MinValue;
                    expired++;
                }
                else
                {
                    keys[i] = Volatile.Read(ref LastAccess[i]);
                }

                ids[i] = Ids[i];
            }

            return expired;
        }

        /// <summary>
        /// Scans rows [from, to) into the best-first top list. Rows that are split (192+ dimensions) are scored in two steps: a
        /// block's head dots first, from the int8 copy of the head block (a quarter of the float head's bytes); then, for a row to
        /// possibly reach the cut-off (the threshold, or the current k-th best once there are k), its bound (an upper bound on
        /// <c>q₁·r₁</c> from the int8 dot and both sides' quantisation errors, plus <c>‖q₂‖·‖r₂‖</c> by Cauchy–Schwarz on the
        /// tails, plus twice <see cref="VectorMath.BoundSlack"/> for rounding; see <see cref="VectorMath.HeadBounds"/>) must reach
        /// it; only such rows are scored in full, in float, with a kernel whose
        /// sum is bit-identical to the whole-row kernel's. A skipped row's score is below the cut-off, so it could neither enter
        /// the top k nor pass the threshold: the matches and scores are exactly those of a full scan.
        /// </summary>
        public int ScanFloat(ReadOnlySpan<float> q, int from, int to, Span<int> rows, Span<float> scores, long now, float threshold)
        {
            var found = 0;
            var expires = _expires;
            Span<float> block = stackalloc float[BlockRows];
            if (_tail == 0)
            {
                var data = _heads.Array;
                var offset = _heads.Offset;
                for (var start = from; start < to; start += BlockRows)
                {
                    var n = Math.Min(BlockRows, to - start);
                    VectorMath.DotRows(q, new ReadOnlySpan<float>(data, offset + (start * dims), n * dims), block[..n]);
                    found = Filter(block[..n], start, rows, scores, found, expires, now);
                }

                return found;
            }

            var k = rows.Length;
            var head = _head;
            var tail = _tail;
            Span<float> queryBlockNorms = stackalloc float[VectorMath.TailBlocks];
            VectorMath.TailBlockNorms(q[head..], queryBlockNorms);
            var heads = _heads.Array;
            var headOffset = _heads.Offset;
            var tails = _tails.Array;
            var tailOffset = _tails.Offset;
            var tailNorms = _tailNorms;
            var heads8 = _heads8.Array;
            var heads8Offset = _heads8.Offset;
            Span<sbyte> q8 = stackalloc sbyte[head];
            var query = VectorMath.QuantizeQueryHead(q[..head], q8);
            Span<int> dots = stackalloc int[BlockRows];

            // While most rows pass the bound (no threshold, and the k-th best still low), the head pass only adds work: such
            // blocks are scored in full, and the bound is tried again after 7 blocks, then after 15, 31, … up to 255 while it keeps
            // failing (data whose bound never prunes, such as uniform random rows, pays for the retries less and less), and after 7
            // again once it prunes.
            var dense = 0;
            var backoff = 7;
            for (var start = from; start < to; start += BlockRows)
            {
                var n = Math.Min(BlockRows, to - start);
                if (dense > 0)
                {
                    dense--;
                    VectorMath.DotSplitRows(q, new ReadOnlySpan<float>(heads, headOffset + (start * head), n * head), head,
                        new ReadOnlySpan<float>(tails, tailOffset + (start * tail), n * tail), tail, block[..n]);

                    found = Filter(block[..n], start, rows, scores, found, expires, now);
                    continue;
                }

                var bounds = block[..n];
                VectorMath.DotRowsInt8(q8, new ReadOnlySpan<sbyte>(heads8, heads8Offset + (start * head), n * head), dots[..n]);
                VectorMath.HeadBounds(query, dots[..n], _headScales.AsSpan(start, n), _headLengths.AsSpan(start, n), _headErrors.AsSpan(start, n),
                    tailNorms, start, queryBlockNorms, 2 * _slack, bounds);
                var cut = found < k ? threshold : Math.Max(threshold, scores[k - 1]);
                var passing = Reaching(bounds, cut);
                if (BitOperations.PopCount(passing) * 2 > n)
                {
                    dense = backoff;
                    backoff = Math.Min((backoff * 2) + 1, 255);
                }
                else
                {
                    backoff = 7;
                }

                while (passing != 0)
                {
                    var j = BitOperations.TrailingZeroCount(passing);
                    passing &= passing - 1;
                    var row = start + j;
                    if (bounds[j] < cut || expires[row] <= now)
                    {
                        continue;
                    }

                    var score = VectorMath.DotSplit(q, new ReadOnlySpan<float>(heads, headOffset + (row * head), head),
                        new ReadOnlySpan<float>(tails, tailOffset + (row * tail), tail));
                    found = TopK.Insert(rows, scores, found, row, score);
                    if (found == k)
                    {
                        cut = Math.Max(threshold, scores[k - 1]);
                    }
                }
            }

            return found;
        }

        /// <summary>A bit per value of <paramref name="bounds"/> (at most 64) that is at least <paramref name="cut"/>.</summary>
        private static ulong Reaching(ReadOnlySpan<float> bounds, float cut)
        {
            ulong mask = 0;
            var j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                ref var first = ref MemoryMarshal.GetReference(bounds);
                var limit = Vector256.Create(cut);
                for (; j <= bounds.Length - 8; j += 8)
                {
                    mask |= (ulong)Vector256.GreaterThanOrEqual(Vector256.LoadUnsafe(ref first, (nuint)j), limit).ExtractMostSignificantBits() << j;
                }
            }

            for (; j < bounds.Length; j++)
            {
                mask |= bounds[j] >= cut ? 1UL << j : 0;
            }

            return mask;
        }

        public int ScanInt8(ReadOnlySpan<sbyte> q, int from, int to, Span<int> rows, Span<float> scores, long now)
        {
            var found = 0;
            var data = _bytes.Array;
            var offset = _bytes.Offset;
            var rowScales = _scales;
            var expires = _expires;
            Span<int> dots = stackalloc int[BlockRows];
            Span<float> block = stackalloc float[BlockRows];
            for (var start = from; start < to; start += BlockRows)
            {
                var n = Math.Min(BlockRows, to - start);
                VectorMath.DotRowsInt8(q, new ReadOnlySpan<sbyte>(data, offset + (start * dims), n * dims), dots[..n]);

                // Approximate cosine up to the query's scale (common to every row): integer dot product times the row's scale.
                // It only picks candidates; the exact float re-rank orders them.
                var j = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    ref var dot = ref MemoryMarshal.GetReference(dots);
                    ref var scale = ref rowScales[start];
                    ref var score = ref MemoryMarshal.GetReference(block);
                    for (; j <= n - 8; j += 8)
                    {
                        (Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref dot, (nuint)j)) * Vector256.LoadUnsafe(ref scale, (nuint)j)).StoreUnsafe(ref score, (nuint)j);
                    }
                }

                for (; j < n; j++)
                {
                    block[j] = dots[j] * rowScales[start + j];
                }

                found = Filter(block[..n], start, rows, scores, found, expires, now);
            }

            return found;
        }

        public int ScanFloatParallel(ReadOnlySpan<float> q, Span<int> rows, Span<float> scores, long now, float threshold)
        {
            var query = q.ToArray();
            return ScanParallel((from, to, r, s) => ScanFloat(query, from, to, r, s, now, threshold), rows, scores);
        }

        public int ScanInt8Parallel(ReadOnlySpan<sbyte> q, Span<int> rows, Span<float> scores, long now)
        {
            var query = q.ToArray();
            return ScanParallel((from, to, r, s) => ScanInt8(query, from, to, r, s, now), rows, scores);
        }

        /// <summary>
        /// Writes into <paramref name="candidates"/> the live rows nearest to <paramref name="code"/> by Hamming distance (ties
        /// at the cut-off taken in row order) and returns how many. Two passes: distances and their histogram (distances are
        /// small integers), then every row below the cut-off distance the histogram gives; no sorting, no per-row branching on a
        /// heap.
        /// </summary>
        public int NearestByHamming(ReadOnlySpan<ulong> code, Span<int> candidates, long now, bool parallel)
        {
            var n = Count;
            var maxDistance = _words * 64;
            var distances = ArrayPool<int>.Shared.Rent(n);
            var histogram = ArrayPool<int>.Shared.Rent(maxDistance + 1);
            try
            {
                Array.Clear(histogram, 0, maxDistance + 1);
                if (parallel)
                {
                    var query = code.ToArray();
                    var chunks = Chunks();
                    var partial = new int[chunks.Length][];
                    Parallel.For(0, chunks.Length, c =>
                    {
                        var h = new int[maxDistance + 1];
                        Distances(query, chunks[c].From, chunks[c].To, distances, h, now);
                        partial[c] = h;
                    });
                    foreach (var h in partial)
                    {
                        for (var d = 0; d <= maxDistance; d++)
                        {
                            histogram[d] += h[d];
                        }
                    }
                }
                else
                {
                    Distances(code, 0, n, distances, histogram, now);
                }

                var want = candidates.Length;
                var cut = 0;
                var below = 0;
                for (; cut <= maxDistance && below + histogram[cut] < want; cut++)
                {
                    below += histogram[cut];
                }

                var ties = cut <= maxDistance ? want - below : 0;
                // Few rows are at or below the cut-off, so eight distances at a time are compared with it and only a block
                // holding one is looked at row by row (expired rows hold int.MaxValue and never pass).
                var taken = 0;
                var i = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    var limit = Vector256.Create(cut);
                    ref var first = ref MemoryMarshal.GetArrayDataReference(distances);
                    for (; i + Vector256<int>.Count <= n && taken < want; i += Vector256<int>.Count)
                    {
                        if (Vector256.LessThanOrEqualAny(Vector256.LoadUnsafe(ref first, (nuint)i), limit))
                        {
                            for (var j = i; j < i + Vector256<int>.Count && taken < want; j++)
                            {
                                var d = distances[j];
                                if (d < cut || (d == cut && ties-- > 0))
                                {
                                    candidates[taken++] = j;
                                }
                            }
                        }
                    }
                }

                for (; i < n && taken < want; i++)
                {
                    var d = distances[i];
                    if (d < cut || (d == cut && ties-- > 0))
                    {
                        candidates[taken++] = i;
                    }
                }

                return taken;
            }
            finally
            {
                ArrayPool<int>.Shared.Return(distances);
                ArrayPool<int>.Shared.Return(histogram);
            }
        }

        /// <summary>
        /// Hamming distances of rows [from, to) into <paramref name="distances"/>, counted in <paramref name="histogram"/>;
        /// expired rows get int.MaxValue and no count. The distances come from the unrolled kernel; the counting keeps four
        /// interleaved histograms, because neighbouring rows often share a distance and one array would make every increment
        /// wait for the previous one's store.
        /// </summary>
        private void Distances(ReadOnlySpan<ulong> code, int from, int to, int[] distances, int[] histogram, long now)
        {
            var words = _words;
            var expires = _expires;
            var bins = (words * 64) + 1;
            var lanes = ArrayPool<int>.Shared.Rent(4 * bins);
            try
            {
                Array.Clear(lanes, 0, 4 * bins);
                VectorMath.HammingRows(_codes.AsSpan(from * words, (to - from) * words), code, distances.AsSpan(from, to - from));
                var i = from;
                for (; i + 4 <= to; i += 4)
                {
                    Count(lanes, 0, bins, distances, expires, i, now);
                    Count(lanes, 1, bins, distances, expires, i + 1, now);
                    Count(lanes, 2, bins, distances, expires, i + 2, now);
                    Count(lanes, 3, bins, distances, expires, i + 3, now);
                }

                for (; i < to; i++)
                {
                    Count(lanes, 0, bins, distances, expires, i, now);
                }

                for (var d = 0; d < bins; d++)
                {
                    histogram[d] += lanes[d] + lanes[bins + d] + lanes[(2 * bins) + d] + lanes[(3 * bins) + d];
                }
            }
            finally
            {
                ArrayPool<int>.Shared.Return(lanes);
            }

            static void Count(int[] lanes, int lane, int bins, int[] distances, long[] expires, int row, long now)
            {
                if (expires[row] <= now)
                {
                    distances[row] = int.MaxValue;
                }
                else
                {
                    lanes[(lane * bins) + distances[row]]++;
                }
            }
        }

        private void BuildCodes()
        {
            // The partition's mean row: neural embeddings share a common direction, so signs against zero would be mostly equal
            // across rows and carry little information; signs against the mean split every dimension about evenly.
            var centre = new float[dims];
            for (var i = 0; i < Count; i++)
            {
                TensorPrimitives.Add(centre.AsSpan(0, _head), Head(i), centre.AsSpan(0, _head));
                TensorPrimitives.Add(centre.AsSpan(_head), Tail(i), centre.AsSpan(_head));
            }

            TensorPrimitives.Divide(centre, Count, centre);
            _codes = new ulong[Ids.Length * _words];
            var row = new float[dims];
            for (var i = 0; i < Count; i++)
            {
                CopyRow(i, row);
                VectorMath.Binarize(row, centre, _codes.AsSpan(i * _words, _words));
            }

            Centre = centre;
        }

        /// <summary>Merges a block of scores for rows [start, start + block.Length) into the best-first top list.</summary>
        /// <summary>
        /// Offers a block's scores to the top k. Until the top k is full every live row enters; after that, eight scores at a
        /// time are compared with the current k-th best in one vector compare, and only the rows above it (few, once the top k
        /// has settled) are looked at one by one: expiry checked, inserted.
        /// </summary>
        private static int Filter(ReadOnlySpan<float> block, int start, Span<int> rows, Span<float> scores, int found, long[] expires, long now)
        {
            var k = rows.Length;
            var j = 0;
            for (; j < block.Length && found < k; j++)
            {
                if (expires[start + j] > now)
                {
                    found = TopK.Insert(rows, scores, found, start + j, block[j]);
                }
            }

            if (found < k)
            {
                return found;
            }

            var worst = scores[found - 1];
            if (Vector256.IsHardwareAccelerated)
            {
                ref var first = ref MemoryMarshal.GetReference(block);
                for (; j <= block.Length - 8; j += 8)
                {
                    var above = Vector256.GreaterThan(Vector256.LoadUnsafe(ref first, (nuint)j), Vector256.Create(worst)).ExtractMostSignificantBits();
                    while (above != 0)
                    {
                        var row = j + BitOperations.TrailingZeroCount(above);
                        above &= above - 1;
                        if (block[row] > worst && expires[start + row] > now)
                        {
                            found = TopK.Insert(rows, scores, found, start + row, block[row]);
                            worst = scores[found - 1];
                        }
                    }
                }
            }

            for (; j < block.Length; j++)
            {
                if (block[j] > worst && expires[start + j] > now)
                {
                    found = TopK.Insert(rows, scores, found, start + j, block[j]);
                    worst = scores[found - 1];
                }
            }

            return found;
        }

        /// <summary>Scans contiguous chunks of rows on all cores, each keeping its own top k, then merges them.</summary>
        private int ScanParallel(Func<int, int, int[], float[], int> scan, Span<int> rows, Span<float> scores)
        {
            var k = rows.Length;
            var chunks = Chunks();
            var partial = new (int[] Rows, float[] Scores, int Found)[chunks.Length];
            Parallel.For(0, chunks.Length, c =>
            {
                var r = new int[k];
                var s = new float[k];
                partial[c] = (r, s, scan(chunks[c].From, chunks[c].To, r, s));
            });

            var found = 0;
            foreach (var (r, s, n) in partial)
            {
                for (var i = 0; i < n; i++)
                {
                    found = TopK.Insert(rows, scores, found, r[i], s[i]);
                }
            }

            return found;
        }

        private (int From, int To)[] Chunks()
        {
            var parts = Math.Max(1, Environment.ProcessorCount);
            var size = (Count + parts - 1) / parts;
            var chunks = new (int From, int To)[parts];
            for (var i = 0; i < parts; i++)
            {
                chunks[i] = (Math.Min(Count, i * size), Math.Min(Count, (i + 1) * size));
            }

            return chunks;
        }
    }
}
