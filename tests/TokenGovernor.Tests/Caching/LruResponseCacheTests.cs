using CsCheck;
using Microsoft.Extensions.Time.Testing;

namespace TokenGovernor.Tests.Caching;

/// <summary>The exact cache's own store: least recently used out first, never over its byte limit, entries expire on the pipeline's clock.</summary>
public class LruResponseCacheTests
{
    private static readonly TimeSpan s_hour = TimeSpan.FromHours(1);

    private static LruResponseCache<string> Cache(long limit, FakeTimeProvider? time = null) => new(limit, s_hour, time ?? new FakeTimeProvider());

    [Fact]
    public void Set_Full_EvictsLeastRecentlyUsedFirst()
    {
        var cache = Cache(300);
        cache.Set("a", "A", 100);
        cache.Set("b", "B", 100);
        cache.Set("c", "C", 100);
        Assert.True(cache.TryGet("a", out _)); // a is now the most recently used; b the least

        cache.Set("d", "D", 100);

        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out _));
        Assert.True(cache.TryGet("c", out _));
        Assert.True(cache.TryGet("d", out var d));
        Assert.Equal("D", d);
    }

    [Fact]
    public void Set_LargerThanWholeLimit_NotStoredAndEvictsNothing()
    {
        var cache = Cache(300);
        cache.Set("a", "A", 100);

        Assert.False(cache.Set("huge", "H", 301));

        Assert.False(cache.TryGet("huge", out _));
        Assert.True(cache.TryGet("a", out _));
        Assert.Equal(100, cache.Bytes);
    }

    [Fact]
    public void Set_SameKeyAgain_ReplacesValueAndSize()
    {
        var cache = Cache(1_000);
        cache.Set("a", "old", 100);

        cache.Set("a", "new", 250);

        Assert.True(cache.TryGet("a", out var value));
        Assert.Equal("new", value);
        Assert.Equal(1, cache.Count);
        Assert.Equal(250, cache.Bytes);
    }

    [Fact]
    public void TryGet_AfterTimeToLive_MissesAndFreesTheEntry()
    {
        var time = new FakeTimeProvider();
        var cache = Cache(1_000, time);
        cache.Set("a", "A", 100);
        time.Advance(s_hour - TimeSpan.FromSeconds(1));
        Assert.True(cache.TryGet("a", out _));

        time.Advance(TimeSpan.FromSeconds(1));

        Assert.False(cache.TryGet("a", out _));
        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void Set_ExpiredEntriesAtOldEnd_RemovedEvenWithRoom()
    {
        var time = new FakeTimeProvider();
        var cache = Cache(10_000, time);
        cache.Set("a", "A", 100);
        cache.Set("b", "B", 100);
        time.Advance(s_hour);

        cache.Set("c", "C", 100);

        Assert.Equal(1, cache.Count);
        Assert.Equal(100, cache.Bytes);
    }

    [Fact]
    public void Operations_AnySequence_MatchAReferenceLruAndStayWithinLimit()
    {
        // Keys 0-11, sizes 1-120 against a limit of 300: stores evict often; the model is a list in recency order.
        var op = Gen.Select(Gen.Bool, Gen.Int[0, 11], Gen.Int[1, 120]);
        op.Array[1, 80].Sample(ops =>
        {
            var cache = Cache(300);
            var model = new List<(string Key, string Value, long Size)>(); // most recent last
            foreach (var (isSet, k, size) in ops)
            {
                var key = "k" + k;
                var at = model.FindIndex(e => e.Key == key);
                if (isSet)
                {
                    var value = key + "@" + size;
                    cache.Set(key, value, size);
                    if (at >= 0)
                    {
                        model.RemoveAt(at);
                    }

                    model.Add((key, value, size));
                    while (model.Sum(e => e.Size) > 300)
                    {
                        model.RemoveAt(0);
                    }
                }
                else
                {
                    var found = cache.TryGet(key, out var value);
                    Assert.Equal(at >= 0, found);
                    if (at >= 0)
                    {
                        Assert.Equal(model[at].Value, value);
                        var e = model[at];
                        model.RemoveAt(at);
                        model.Add(e);
                    }
                }

                Assert.True(cache.Bytes <= 300);
                Assert.Equal(model.Sum(e => e.Size), cache.Bytes);
                Assert.Equal(model.Count, cache.Count);
            }
        }, iter: 500);
    }

    [Fact]
    public async Task Operations_ManyCallers_NeverOverLimitAndCountsAgree()
    {
        var cache = Cache(50_000);
        await Parallel.ForAsync(0, 64, (caller, _) =>
        {
            var random = new Random(caller);
            for (var n = 0; n < 5_000; n++)
            {
                var key = "k" + random.Next(400);
                if (random.Next(3) == 0)
                {
                    cache.Set(key, key, random.Next(1, 400));
                }
                else if (cache.TryGet(key, out var value))
                {
                    Assert.Equal(key, value);
                }
            }

            return ValueTask.CompletedTask;
        });

        Assert.InRange(cache.Bytes, 1, 50_000);
        Assert.InRange(cache.Count, 1, 400);
    }
}
