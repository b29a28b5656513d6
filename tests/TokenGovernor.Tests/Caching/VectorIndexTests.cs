using System.Numerics.Tensors;
using Microsoft.Extensions.Time.Testing;

namespace TokenGovernor.Tests.Caching;

public class VectorIndexTests
{
    private static float[] RandomVector(Random random, int dims)
    {
        var v = new float[dims];
        for (var i = 0; i < dims; i++)
        {
            v[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return v;
    }

    private static float ScalarCosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return (float)(dot / (Math.Sqrt(na) * Math.Sqrt(nb)));
    }

    [Fact]
    public void Search_Float_ScoresEqualScalarCosineWithin1e5()
    {
        var random = new Random(1);
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 384 });
        var rows = Enumerable.Range(0, 500).Select(_ => RandomVector(random, 384)).ToArray();
        for (var i = 0; i < rows.Length; i++)
        {
            index.Add("p", rows[i], i);
        }

        for (var q = 0; q < 50; q++)
        {
            var query = RandomVector(random, 384);
            var matches = index.Search("p", query, k: 5);
            var expected = rows.Select((r, i) => (Score: ScalarCosine(query, r), i)).OrderByDescending(x => x.Score).Take(5).ToArray();
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(expected[i].i, matches[i].Payload);
                Assert.Equal(expected[i].Score, matches[i].Score, 1e-5f);
            }
        }
    }

    [Fact]
    public void Search_Int8_RecallAt1AgainstExactFloatIsAtLeast99Percent()
    {
        var random = new Random(2);
        var exact = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 384 });
        var quantized = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 384, Quantize = true });
        var rows = Enumerable.Range(0, 5_000).Select(_ => RandomVector(random, 384)).ToArray();
        for (var i = 0; i < rows.Length; i++)
        {
            exact.Add("p", rows[i], i);
            quantized.Add("p", rows[i], i);
        }

        var agree = 0;
        const int queries = 300;
        for (var q = 0; q < queries; q++)
        {
            // Queries near a stored row, as cache lookups are: a perturbed copy of a random row.
            var query = rows[random.Next(rows.Length)].Select(x => x + ((float)random.NextDouble() - 0.5f)).ToArray();
            var e = exact.Search("p", query)[0];
            var a = quantized.Search("p", query)[0];
            agree += e.Payload == a.Payload ? 1 : 0;
            Assert.Equal(TensorPrimitives.CosineSimilarity(query, rows[a.Payload]), a.Score, 1e-5f);
        }

        Assert.True(agree >= queries * 0.99, $"recall@1 {agree}/{queries}");
    }

    [Fact]
    public void Search_OtherPartition_IsNeverReturned()
    {
        var index = new VectorIndex<string>(new VectorIndexOptions { Dimensions = 4 });
        index.Add("tenant-a", [1, 0, 0, 0], "a");

        Assert.Empty(index.Search("tenant-b", [1, 0, 0, 0]));
        Assert.Equal("a", index.Search("tenant-a", [1, 0, 0, 0])[0].Payload);
    }

    [Fact]
    public void Search_Threshold_FiltersLowScores()
    {
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 2 });
        index.Add("p", [1, 0], 1);
        index.Add("p", [0, 1], 2);

        var matches = index.Search("p", [1, 0.1f], k: 2, threshold: 0.9f);

        Assert.Equal(1, Assert.Single(matches).Payload);
    }

    [Fact]
    public void Remove_Entry_IsNotFoundAndOthersRemain()
    {
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 2, Quantize = true });
        var a = index.Add("p", [1, 0], 1);
        index.Add("p", [0, 1], 2);
        index.Add("p", [1, 1], 3);

        Assert.True(index.Remove(a));
        Assert.False(index.Remove(a));
        Assert.Equal(2, index.Count);
        Assert.DoesNotContain(index.Search("p", [1, 0], k: 3), m => m.Payload == 1);
        Assert.Equal(3, index.Search("p", [1, 0.9f])[0].Payload);
    }

    [Fact]
    public void Search_ExpiredEntry_IsNotReturned()
    {
        var time = new FakeTimeProvider();
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 2, TimeToLive = TimeSpan.FromMinutes(10) }, time);
        index.Add("p", [1, 0], 1);

        time.Advance(TimeSpan.FromMinutes(11));

        Assert.Empty(index.Search("p", [1, 0]));
        Assert.Equal(1, index.RemoveExpired());
    }

    [Fact]
    public void Add_OverMemoryCap_DropsPartitionsLeftEmpty()
    {
        var time = new FakeTimeProvider();
        var perRow = VectorIndex<int>.BytesPerEntry(8, quantize: false);
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 8, MemoryCapBytes = perRow * 64 }, time);

        // One partition per conversation history: each gets two entries, then is never used again.
        for (var i = 0; i < 2_000; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            var v = new float[8];
            v[i % 8] = 1;
            v[(i + 1) % 8] = 0.5f;
            index.Add("p" + (i / 2), v, i);
        }

        Assert.True(index.Count <= 64);
        Assert.True(index.PartitionCount <= index.Count, $"{index.PartitionCount} partitions for {index.Count} entries");
        var last = new float[8];
        last[1999 % 8] = 1;
        last[2000 % 8] = 0.5f;
        Assert.Equal(1999, index.Search("p999", last, k: 1, threshold: 0.999f).Single().Payload);
    }

    [Fact]
    public void Remove_LastEntry_DropsPartitionAndAddStillWorks()
    {
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 2 });
        var id = index.Add("p", [1, 0], 1);

        Assert.True(index.Remove(id));
        Assert.Equal(0, index.PartitionCount);

        index.Add("p", [0, 1], 2);
        Assert.Equal(2, index.Search("p", [0, 1]).Single().Payload);
    }

    [Fact]
    public void RemoveExpired_AcrossPartitions_RemovesOnlyExpiredAndDropsEmptied()
    {
        var time = new FakeTimeProvider();
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 2, TimeToLive = TimeSpan.FromMinutes(10) }, time);
        index.Add("old", [1, 0], 1);
        index.Add("mixed", [1, 0], 2);
        time.Advance(TimeSpan.FromMinutes(6));
        index.Add("mixed", [0, 1], 3);
        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(2, index.RemoveExpired());
        Assert.Equal(1, index.Count);
        Assert.Equal(1, index.PartitionCount);
        Assert.Equal(3, index.Search("mixed", [0, 1]).Single().Payload);
    }

    [Fact]
    public void Add_OverMemoryCap_EvictsLeastRecentlyUsed()
    {
        var time = new FakeTimeProvider();
        var perRow = VectorIndex<int>.BytesPerEntry(8, quantize: false);
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 8, MemoryCapBytes = Math.Max(1024, perRow * 32) }, time);
        var capRows = Math.Max(1024, perRow * 32) / perRow;
        var first = new float[] { 1, 0, 0, 0, 0, 0, 0, 0 };
        index.Add("p", first, -1);
        for (var i = 0; i < capRows * 2; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            if (i % 4 == 0)
            {
                index.Search("p", first); // keep the first entry recently used
            }

            var v = new float[8];
            v[1 + (i % 7)] = 1;
            v[0] = 0.01f * i;
            index.Add("p", v, i);
        }

        Assert.True(index.MemoryBytes <= Math.Max(1024, perRow * 32));
        Assert.Equal(-1, index.Search("p", first, k: 1, threshold: 0.999f).Single().Payload);
    }

    [Fact]
    public void Add_WrongDimension_ThrowsNamingSetting()
    {
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 3 });
        var ex = Assert.Throws<ArgumentException>(() => index.Add("p", [1, 2], 0));
        Assert.Contains("VectorIndexOptions.Dimensions", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_ZeroVector_Throws() =>
        Assert.Throws<ArgumentException>(() => new VectorIndex<int>(new VectorIndexOptions { Dimensions = 2 }).Add("p", [0, 0], 0));

    [Fact]
    public void Search_LargePartition_ParallelScanFindsSameBest()
    {
        var random = new Random(3);
        var serial = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 32, ParallelScanThreshold = int.MaxValue });
        var parallel = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 32, ParallelScanThreshold = 1024 });
        for (var i = 0; i < 5000; i++)
        {
            var v = RandomVector(random, 32);
            serial.Add("p", v, i);
            parallel.Add("p", v, i);
        }

        for (var q = 0; q < 20; q++)
        {
            var query = RandomVector(random, 32);
            Assert.Equal(serial.Search("p", query, k: 3).Select(m => m.Payload), parallel.Search("p", query, k: 3).Select(m => m.Payload));
        }
    }

    [Fact]
    public async Task SearchAndAdd_Concurrently_NeverCorruptReaders()
    {
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 16, Quantize = true });
        var random = new Random(4);
        var stored = new System.Collections.Concurrent.ConcurrentDictionary<int, float[]>();
        for (var i = 0; i < 200; i++)
        {
            var v = RandomVector(random, 16);
            stored[i] = v;
            index.Add("p", v, i);
        }

        var writers = Task.Run(() =>
        {
            var r = new Random(5);
            for (var i = 200; i < 2200; i++)
            {
                var v = RandomVector(r, 16);
                stored[i] = v;
                index.Add("p", v, i);
                if (i % 3 == 0)
                {
                    index.Remove(i - 100);
                }
            }
        });
        var readers = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            var r = new Random(10 + t);
            for (var i = 0; i < 2000; i++)
            {
                foreach (var match in index.Search("p", RandomVector(r, 16), k: 2))
                {
                    Assert.True(stored.ContainsKey(match.Payload));
                    Assert.InRange(match.Score, -1.0001f, 1.0001f);
                }
            }
        })).ToArray();

        await Task.WhenAll([writers, .. readers]);
    }

    /// <summary>Rows shaped like sentence embeddings: a shared direction, topics of 32, groups of 4 near-paraphrases.</summary>
    private static float[][] ClusteredRows(Random random, int count, int dims)
    {
        var common = RandomVector(random, dims);
        var topics = Enumerable.Range(0, (count / 32) + 1).Select(_ => RandomVector(random, dims)).ToArray();
        var groups = Enumerable.Range(0, (count / 4) + 1).Select(_ => RandomVector(random, dims)).ToArray();
        return Enumerable.Range(0, count).Select(i =>
        {
            var own = RandomVector(random, dims);
            return Enumerable.Range(0, dims).Select(d => (0.4f * common[d]) + (0.6f * topics[i / 32][d]) + (0.55f * groups[i / 4][d]) + (0.45f * own[d])).ToArray();
        }).ToArray();
    }

    private static VectorIndex<int> BinaryIndex(float[][] rows, int minRows = 1024, int parallel = int.MaxValue, TimeProvider? time = null, TimeSpan? ttl = null)
    {
        var index = new VectorIndex<int>(new VectorIndexOptions
        {
            Dimensions = rows[0].Length,
            BinaryQuantize = true,
            BinaryQuantizeMinRows = minRows,
            ParallelScanThreshold = parallel,
            TimeToLive = ttl,
        }, time);
        for (var i = 0; i < rows.Length; i++)
        {
            index.Add("p", rows[i], i);
        }

        return index;
    }

    [Fact]
    public void Search_Binary_RecallAt1AgainstExactFloatIsAtLeast99PercentWithExactScores()
    {
        var random = new Random(21);
        var rows = ClusteredRows(random, 4_096, 384);
        var exact = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 384, BinaryQuantize = false });
        for (var i = 0; i < rows.Length; i++)
        {
            exact.Add("p", rows[i], i);
        }

        var binary = BinaryIndex(rows);
        var agree = 0;
        const int queries = 300;
        for (var q = 0; q < queries; q++)
        {
            var query = rows[random.Next(rows.Length)].Select(x => x + (((float)random.NextDouble() - 0.5f) * 0.1f)).ToArray();
            var e = exact.Search("p", query)[0];
            var b = binary.Search("p", query)[0];
            agree += e.Payload == b.Payload ? 1 : 0;
            Assert.Equal(TensorPrimitives.CosineSimilarity(query, rows[b.Payload]), b.Score, 1e-5f);
        }

        Assert.True(agree >= queries * 0.99, $"recall@1 {agree}/{queries}");
    }

    [Fact]
    public void Add_ReachingBinaryMinRows_CountsCodeBytesInMemory()
    {
        var random = new Random(22);
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 64, BinaryQuantizeMinRows = 1024 });
        for (var i = 0; i < 1023; i++)
        {
            index.Add("p", RandomVector(random, 64), i);
        }

        Assert.Equal(1023 * VectorIndex<int>.BytesPerEntry(64, quantize: false), index.MemoryBytes);
        index.Add("p", RandomVector(random, 64), 1023);
        index.Add("p", RandomVector(random, 64), 1024);

        Assert.Equal(1025 * VectorIndex<int>.BytesPerEntry(64, quantize: false, binary: true), index.MemoryBytes);
        Assert.Equal(8, VectorIndex<int>.BytesPerEntry(64, false, true) - VectorIndex<int>.BytesPerEntry(64, false));
    }

    [Fact]
    public void Search_BinaryAfterRemovals_EveryRemainingRowFindsItself()
    {
        var random = new Random(23);
        var rows = ClusteredRows(random, 2_048, 96);
        var index = BinaryIndex(rows);
        for (var i = 1; i < rows.Length; i += 3)
        {
            Assert.True(index.Remove(i + 1)); // ids start at 1: this removes payload i
        }

        for (var i = 0; i < rows.Length; i++)
        {
            var match = index.Search("p", rows[i])[0];
            Assert.NotEqual(1, match.Payload % 3);
            if (i % 3 != 1)
            {
                Assert.Equal(i, match.Payload);
                Assert.Equal(1f, match.Score, 1e-5f);
            }
        }
    }

    [Fact]
    public void Search_BinaryExpiredEntries_AreNotReturned()
    {
        var time = new FakeTimeProvider();
        var random = new Random(24);
        var rows = ClusteredRows(random, 1_500, 64);
        var index = BinaryIndex(rows[..1_200], time: time, ttl: TimeSpan.FromMinutes(10));
        time.Advance(TimeSpan.FromMinutes(6));
        for (var i = 1_200; i < rows.Length; i++)
        {
            index.Add("p", rows[i], i);
        }

        time.Advance(TimeSpan.FromMinutes(6));

        foreach (var row in rows.Take(50))
        {
            Assert.All(index.Search("p", row, k: 5), m => Assert.True(m.Payload >= 1_200, $"expired row {m.Payload} returned"));
        }
    }

    [Fact]
    public void Search_BinaryParallelScan_FindsSameAsSerial()
    {
        var random = new Random(25);
        var rows = ClusteredRows(random, 3_000, 64);
        var serial = BinaryIndex(rows);
        var parallel = BinaryIndex(rows, parallel: 1024);
        for (var q = 0; q < 30; q++)
        {
            var query = RandomVector(random, 64);
            Assert.Equal(serial.Search("p", query, k: 3).Select(m => m.Payload), parallel.Search("p", query, k: 3).Select(m => m.Payload));
        }
    }

    [Fact]
    public void Search_BinaryRerankCoversAllRows_ReturnsTheExactBest()
    {
        // A re-rank depth as large as the partition: the exact float score alone decides.
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 8, BinaryQuantizeMinRows = 1024, BinaryRerankCandidates = 2_000 });
        for (var i = 0; i < 2_000; i++)
        {
            index.Add("p", [1f + (i * 0.001f), 1, 1, 1, -1, -1, -1, -1], i);
        }

        Assert.Equal(1_999, index.Search("p", [3f, 1, 1, 1, -1, -1, -1, -1])[0].Payload);
    }

    [Fact]
    public void BytesPerEntry_SplitRows_CountTheTailNormsAndTheInt8Head()
    {
        // Float row, eight tail block norms, int8 head (128 values) with its scale and two error terms, bookkeeping.
        Assert.Equal((384 * 4) + 32 + 128 + 12 + 56, VectorIndex<int>.BytesPerEntry(384, quantize: false));
        Assert.Equal((128 * 4) + 56, VectorIndex<int>.BytesPerEntry(128, quantize: false));
    }

    /// <summary>
    /// The threshold search's early cut-off against a full scan, on many random cases: uniform and clustered rows (with exact
    /// duplicates, for ties), inputs far from unit length, removals (rows move), expired rows, k from 1 to 6, thresholds from
    /// none to above every score, including one equal to a row's score. The full scan is every live row scored with
    /// <see cref="VectorMath.DotSplit(ReadOnlySpan{float}, ReadOnlySpan{float}, ReadOnlySpan{float})"/> (what the index computes
    /// for a row) and ranked best first, earlier rows first among equal scores; matches and scores must be equal exactly.
    /// </summary>
    [Fact]
    public void Search_ThresholdCutOff_EqualsFullScanOnManyRandomCases()
    {
        var random = new Random(31);
        int[] dimensions = [192, 256, 384, 385, 448];
        for (var c = 0; c < 240; c++)
        {
            var dims = dimensions[random.Next(dimensions.Length)];
            var count = 1 + random.Next(random.Next(2) == 0 ? 40 : 700);
            var clustered = random.Next(2) == 0;
            var rows = clustered ? ClusteredRows(random, count, dims) : Enumerable.Range(0, count).Select(_ => RandomVector(random, dims)).ToArray();
            for (var i = 0; i < count; i++)
            {
                if (random.Next(20) == 0)
                {
                    rows[i] = rows[random.Next(count)];
                }

                var scale = random.Next(3) switch { 0 => 1e-3f, 1 => 1f, _ => 1e3f };
                rows[i] = rows[i].Select(x => x * scale).ToArray();
            }

            var time = new FakeTimeProvider();
            var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = dims, BinaryQuantize = false }, time);
            var ids = new long[count];
            var slots = new List<int>();
            var expiring = new HashSet<int>();
            for (var i = 0; i < count; i++)
            {
                var expires = random.Next(10) == 0;
                ids[i] = index.Add("p", rows[i], i, expires ? time.GetUtcNow().AddMinutes(1) : null);
                slots.Add(i);
                if (expires)
                {
                    expiring.Add(i);
                }
            }

            // Removal moves the last row into the removed one's place: the full scan follows the same row order.
            for (var r = 0; r < count / 10; r++)
            {
                var victim = random.Next(count);
                if (index.Remove(ids[victim]))
                {
                    var at = slots.IndexOf(victim);
                    slots[at] = slots[^1];
                    slots.RemoveAt(slots.Count - 1);
                }
            }

            time.Advance(TimeSpan.FromMinutes(2));
            var live = slots.Where(i => !expiring.Contains(i)).ToList();
            for (var t = 0; t < 8; t++)
            {
                var query = random.Next(3) == 0 || slots.Count == 0
                    ? RandomVector(random, dims)
                    : rows[slots[random.Next(slots.Count)]].Select(x => x + ((float)random.NextDouble() - 0.5f) * 0.3f * MathF.Abs(x + 1e-9f)).ToArray();
                var full = FullScan(query, rows, live);
                var k = 1 + random.Next(6);
                var threshold = random.Next(5) switch
                {
                    0 => -1f,
                    1 => full.Count > 0 ? full[random.Next(Math.Min(full.Count, 8))].Score : 0.5f,
                    2 => 1.01f,
                    _ => (float)((random.NextDouble() * 1.2) - 0.2),
                };
                var expected = full.Where(m => m.Score >= threshold).Take(k).ToArray();
                var actual = index.Search("p", query, k, threshold);
                Assert.Equal(expected.Select(m => m.Payload), actual.Select(m => m.Payload));
                Assert.Equal(expected.Select(m => m.Score), actual.Select(m => m.Score));
            }
        }
    }

    [Fact]
    public void Search_ThresholdCutOffParallel_EqualsSerial()
    {
        var random = new Random(32);
        var rows = ClusteredRows(random, 3_000, 384);
        var serial = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 384, BinaryQuantize = false, ParallelScanThreshold = int.MaxValue });
        var parallel = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 384, BinaryQuantize = false, ParallelScanThreshold = 1024 });
        for (var i = 0; i < rows.Length; i++)
        {
            serial.Add("p", rows[i], i);
            parallel.Add("p", rows[i], i);
        }

        for (var q = 0; q < 30; q++)
        {
            var query = q % 2 == 0 ? RandomVector(random, 384) : rows[random.Next(rows.Length)].Select(x => x + (((float)random.NextDouble() - 0.5f) * 0.2f)).ToArray();
            foreach (var threshold in new[] { -1f, 0.3f, 0.8f })
            {
                var a = serial.Search("p", query, k: 4, threshold: threshold);
                var b = parallel.Search("p", query, k: 4, threshold: threshold);
                Assert.Equal(a.Select(m => (m.Payload, m.Score)), b.Select(m => (m.Payload, m.Score)));
            }
        }
    }

    /// <summary>Every live row scored as the index scores it, best first, earlier rows first among equal scores.</summary>
    private static List<(int Payload, float Score)> FullScan(float[] query, float[][] rows, List<int> order)
    {
        var dims = query.Length;
        var head = VectorMath.HeadDims(dims);
        var q = new float[dims];
        var r = new float[dims];
        VectorMath.Normalize(query, q);
        var scored = new List<(int Payload, float Score)>();
        foreach (var i in order)
        {
            VectorMath.Normalize(rows[i], r);
            scored.Add((i, VectorMath.DotSplit(q, r.AsSpan(0, head), r.AsSpan(head))));
        }

        // OrderByDescending is stable: equal scores keep row order, as the scan's top list does.
        return scored.OrderByDescending(m => m.Score).ToList();
    }

    [Fact]
    public void NthSmallest_RandomKeysWithTies_EqualsTheSortedValue()
    {
        var random = new Random(33);
        for (var c = 0; c < 2_000; c++)
        {
            var n = 1 + random.Next(c % 4 == 0 ? 2_000 : 64);
            var spread = random.Next(3) switch { 0 => 3, 1 => n, _ => int.MaxValue };
            var values = Enumerable.Range(0, n).Select(_ => random.Next(4) == 0 ? long.MinValue : (long)random.Next(spread)).ToArray();
            if (c % 7 == 0)
            {
                Array.Sort(values);
                if (c % 2 == 0)
                {
                    Array.Reverse(values);
                }
            }

            var nth = random.Next(n);
            var sorted = values.Order().ToArray();
            Assert.Equal(sorted[nth], VectorIndex<int>.NthSmallest(values, nth));
            Assert.Equal(sorted, values.Order().ToArray());
        }
    }

    [Fact]
    public void Add_OverMemoryCapWithEqualRecency_EvictsDownToFifteenSixteenthsOfTheCap()
    {
        // Every entry has the same last-access time (the clock never moves): the selection must still take exactly enough.
        var time = new FakeTimeProvider();
        var perRow = VectorIndex<int>.BytesPerEntry(8, quantize: false);
        var index = new VectorIndex<int>(new VectorIndexOptions { Dimensions = 8, MemoryCapBytes = perRow * 64, BinaryQuantize = false }, time);
        var random = new Random(34);
        for (var i = 0; i < 65; i++)
        {
            index.Add("p", RandomVector(random, 8), i);
        }

        Assert.Equal(60, index.Count);
    }
}
