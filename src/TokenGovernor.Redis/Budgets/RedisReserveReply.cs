namespace TokenGovernor.Redis;

/// <summary>The reserve script's reply, typed: granted, denied, or abandoned before it ran.</summary>
/// <param name="Reclaimed">How many expired leases the script reclaimed on the way.</param>
internal abstract record RedisReserveReply(long Reclaimed)
{
    /// <summary>Admitted against every counter: the reservation id and each counter's state before this hold was added, plus the hold.</summary>
    public sealed record Granted(long Id, double Utilization, long Reclaimed, RedisCounterState[] Counters) : RedisReserveReply(Reclaimed);

    /// <summary>Refused by the counter at <paramref name="CounterIndex"/>: its spent and held amounts (tokens when <paramref name="IsTokenLimit"/>).</summary>
    public sealed record Denied(int CounterIndex, bool IsTokenLimit, long Spent, long Reserved, double Utilization, long Reclaimed) : RedisReserveReply(Reclaimed);

    /// <summary>The request token was abandoned (by this instance, after it gave up waiting) before the script ran.</summary>
    public sealed record Abandoned() : RedisReserveReply(0);
}

/// <summary>One counter in a settle or charge reply: which it is, the soft thresholds that fired (bit i = threshold i), its state after.</summary>
internal sealed record RedisSettledCounter(string Policy, string Key, long FiredThresholds, RedisCounterState State);
