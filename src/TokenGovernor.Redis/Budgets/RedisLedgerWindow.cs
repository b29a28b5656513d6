using System.Globalization;

namespace TokenGovernor.Redis;

/// <summary>One window of a policy as the scripts see it: its id (part of the spend key), its buckets and how long Redis keeps it.</summary>
internal sealed class RedisLedgerWindow
{
    /// <summary>The spend key of a window that never ends never expires: the scripts read a TTL of 0 as "no PEXPIRE".</summary>
    public const long NeverExpires = 0;

    private readonly long _bucketTicks;
    private readonly TimeSpan? _sliding;

    private RedisLedgerWindow(string id, DateTimeOffset? start, DateTimeOffset? end, long bucketTicks, TimeSpan? sliding)
    {
        Id = id;
        Start = start;
        End = end;
        _bucketTicks = bucketTicks;
        _sliding = sliding;
    }

    public static RedisLedgerWindow Lifetime { get; } = new("life", null, null, 0, null);

    public string Id { get; }

    public DateTimeOffset? Start { get; }

    public DateTimeOffset? End { get; }

    public static RedisLedgerWindow ForSliding(TimeSpan window) => new("sl", null, null, Math.Max(1, window.Ticks / 60), window);

    public static RedisLedgerWindow ForCalendar(DateTimeOffset start, DateTimeOffset end) =>
        new(start.UtcTicks.ToString(CultureInfo.InvariantCulture), start, end, 0, null);

    /// <summary>The sliding window's bucket (one sixtieth of the window) that <paramref name="now"/> falls in, or -1 for calendar and lifetime windows.</summary>
    public long Bucket(DateTimeOffset now) => _bucketTicks > 0 ? now.UtcTicks / _bucketTicks : -1;

    /// <summary>
    /// How long Redis keeps the window's spend key, in milliseconds: to the end of a calendar window plus a minute (at least 1),
    /// the whole span plus a bucket and a minute for a sliding window, and <see cref="NeverExpires"/> for a lifetime window.
    /// </summary>
    public long TtlMs(DateTimeOffset now) => _sliding is { } s
        ? (long)(s + TimeSpan.FromTicks(_bucketTicks) + TimeSpan.FromMinutes(1)).TotalMilliseconds
        : End is { } e ? (long)Math.Max(1, (e - now + TimeSpan.FromMinutes(1)).TotalMilliseconds) : NeverExpires;

    /// <summary>How long until a full request limit frees a slot: to the end of a calendar window; until the oldest bucket that counts
    /// a request (<paramref name="oldestRequestBucket"/>) leaves a sliding window; never (null) for a lifetime window.</summary>
    public TimeSpan? RequestSlotFreesIn(DateTimeOffset now, long oldestRequestBucket) =>
        _sliding is not null
            ? RequestLimitDenial.RetryAfter(BudgetWindow.Sliding, null, oldestRequestBucket >= 0 ? oldestRequestBucket : null, _bucketTicks, now)
            : End - now;

    public DateTimeOffset? ResetsAt(DateTimeOffset now) => _sliding is not null ? now + TimeSpan.FromTicks(_bucketTicks) : End;

    public DateTimeOffset? WindowStart(DateTimeOffset now) => _sliding is { } s ? now - s : Start;
}
