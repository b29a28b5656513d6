namespace TokenGovernor.Redis;

/// <summary>The reserve script's reply, typed: granted, denied, or abandoned before it ran.</summary>
/// <param name="Reclaimed">How many expired leases the script reclaimed on the way.</param>
internal abstract record RedisReserveReply(long Reclaimed)
{
    /// <summary>Admitted against every counter: the reservation id and each counter's state before this hold was added, plus the hold.</summary>
    public sealed record Granted(long Id, double Utilization, long Reclaimed, RedisCounterState[] Counters) : RedisReserveReply(Reclaimed);

    /// <summary>Refused by the counter at <paramref name="CounterIndex"/> on the limit <paramref name="Kind"/>: its spent and held
    /// amounts (nano-dollars, tokens, or requests admitted with nothing held), and for a request limit on a sliding window the
    /// oldest bucket that counts a request (-1 otherwise).</summary>
    public sealed record Denied(int CounterIndex, RedisLimitKind Kind, long Spent, long Reserved, double Utilization, long Reclaimed, long OldestRequestBucket)
        : RedisReserveReply(Reclaimed);

    /// <summary>The request token was abandoned (by this instance, after it gave up waiting) before the script ran.</summary>
    public sealed record Abandoned() : RedisReserveReply(0);
}

/// <summary>One counter in a settle or charge reply: which it is, the soft thresholds that fired (bit i = threshold i), its state after.</summary>
internal sealed record RedisSettledCounter(string Policy, string Key, long FiredThresholds, RedisCounterState State);

/// <summary>Which limit of a counter refused a reserve, as the reserve script reports it.</summary>
internal enum RedisLimitKind
{
    Cost = 0,
    Tokens = 1,
    Requests = 2,
}
