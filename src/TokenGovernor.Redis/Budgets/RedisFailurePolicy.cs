namespace TokenGovernor.Redis;

/// <summary>What the Redis budget ledger does when Redis cannot be reached or answers too slowly.</summary>
public enum RedisFailurePolicy
{
    /// <summary>Refuse calls that a budget applies to (the refusal reason is <c>budget-ledger-unavailable</c>): no budget is ever
    /// overspent, at the price of availability while Redis is down. The default.</summary>
    FailClosed = 0,

    /// <summary>
    /// Admit calls against a local in-memory ledger that enforces <see cref="RedisBudgetLedgerOptions.FailOpenLimitFraction"/> of each
    /// limit per instance, and charge what they spent to Redis once it is back (idempotently). With N instances, an outage can
    /// spend up to N × the fraction on top of what Redis had recorded.
    /// </summary>
    FailOpen = 1,
}
