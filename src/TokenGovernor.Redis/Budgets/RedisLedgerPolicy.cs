using System.Globalization;

namespace TokenGovernor.Redis;

/// <summary>A budget policy as the Redis ledger sends it: limits in nano-dollars, thresholds as a list, the current window.</summary>
internal sealed class RedisLedgerPolicy
{
    /// <summary>Nano-dollars per US dollar: amounts are integers in Redis.</summary>
    public const decimal UnitsPerDollar = 1_000_000_000m;

    private readonly TimeZoneInfo _zone;
    private readonly RedisLedgerWindow? _fixed;
    private RedisLedgerWindow? _calendar;

    public RedisLedgerPolicy(BudgetPolicy policy)
    {
        Policy = policy;
        _zone = TimeZoneInfo.FindSystemTimeZoneById(policy.TimeZoneId);
        CostLimitUnits = policy.CostLimit is { } c ? (long)decimal.Floor(c * UnitsPerDollar) : -1;
        TokenLimit = policy.TokenLimit ?? -1;
        RequestLimit = policy.RequestLimit ?? -1;
        Thresholds = string.Join(',', (policy.SoftThresholds ?? []).Select(t => t.ToString("R", CultureInfo.InvariantCulture)));
        _fixed = policy.Window switch
        {
            BudgetWindow.Lifetime => RedisLedgerWindow.Lifetime,
            BudgetWindow.Sliding => RedisLedgerWindow.ForSliding(policy.SlidingWindow),
            _ => null,
        };
    }

    public BudgetPolicy Policy { get; }

    public long CostLimitUnits { get; }

    public long TokenLimit { get; }

    /// <summary>Gets the requests admitted per window, or -1 for no request limit.</summary>
    public long RequestLimit { get; }

    public string Thresholds { get; }

    public RedisLedgerWindow Window(DateTimeOffset now)
    {
        if (_fixed is not null)
        {
            return _fixed;
        }

        var current = Volatile.Read(ref _calendar);
        if (current is not null && now >= current.Start && now < current.End)
        {
            return current;
        }

        var (start, end) = BudgetWindowCalculator.Calendar(Policy.Window, _zone, Policy.FirstDayOfWeek, now);
        var fresh = RedisLedgerWindow.ForCalendar(start, end);
        Volatile.Write(ref _calendar, fresh);
        return fresh;
    }

    public double Utilization(RedisCounterState c)
    {
        var u = 0.0;
        if (CostLimitUnits >= 0)
        {
            u = BudgetMath.Utilization(c.Spent + c.Reserved, CostLimitUnits);
        }

        if (TokenLimit >= 0)
        {
            u = Math.Max(u, BudgetMath.Utilization(c.SpentTokens + c.ReservedTokens, TokenLimit));
        }

        return u;
    }

    public BudgetUsage Usage(string key, RedisCounterState c, DateTimeOffset now)
    {
        var w = Window(now);
        var spent = FromUnits(c.Spent);
        return new BudgetUsage
        {
            Policy = Policy,
            Key = key,
            WindowStart = w.WindowStart(now),
            WindowResetsAt = w.ResetsAt(now),
            SpentCost = spent,
            ReservedCost = FromUnits(c.Reserved),
            SpentTokens = c.SpentTokens,
            ReservedTokens = c.ReservedTokens,
            Requests = c.Requests,
            Utilization = Utilization(c),
            Overspend = Policy.CostLimit is { } limit && spent > limit ? spent - limit : 0,
        };
    }

    public static long ToUnits(decimal cost)
    {
        var units = decimal.Ceiling(cost * UnitsPerDollar);
        return units > long.MaxValue / 4 ? throw new ArgumentOutOfRangeException(nameof(cost), cost, "The amount is too large for the Redis ledger (at most about 9 million USD).") : (long)units;
    }

    public static decimal FromUnits(long units) => units / UnitsPerDollar;
}
