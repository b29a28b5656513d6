namespace TokenGovernor.Redis;

/// <summary>Options for <c>UseRedis</c>: which of TokenGovernor's state is shared through Redis, and how.</summary>
public sealed class RedisGovernanceOptions
{
    /// <summary>Gets or sets the prefix of every key (budgets, caches); instances that share state use the same one.</summary>
    public string KeyPrefix { get; set; } = "tokengovernor";

    /// <summary>Gets or sets a value indicating whether budgets are kept in Redis (<see cref="RedisBudgetLedger"/>) instead of in each process.</summary>
    public bool ShareBudgets { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether the exact response cache is kept in Redis (an <c>IDistributedCache</c> from
    /// Microsoft.Extensions.Caching.StackExchangeRedis, registered under <c>ResponseCacheOptions.DistributedCacheServiceKey</c>).</summary>
    /// <remarks>The shared caches fail open whatever <see cref="RedisBudgetLedgerOptions.FailurePolicy"/> says (that policy is about
    /// spend): a lookup or store waits at most <see cref="RedisBudgetLedgerOptions.OperationTimeout"/>, and when Redis times out,
    /// fails, is down or is still connecting, the lookup is a miss and the store is skipped; after a timeout or an error the caches
    /// leave Redis alone for <see cref="RedisBudgetLedgerOptions.RetryInterval"/>. Logged once per outage (event 6102), counted on
    /// <c>token_governor.cache.fallbacks</c>.</remarks>
    public bool ShareExactCache { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether semantic-cache entries are replicated to every instance (<see cref="RedisSemanticCacheReplicator"/>).
    /// Lookups stay in-process; a publish fails open like the exact cache (see <see cref="ShareExactCache"/>).</summary>
    public bool ShareSemanticCache { get; set; } = true;

    /// <summary>Gets the ledger's options (its <see cref="RedisBudgetLedgerOptions.KeyPrefix"/> is set from <see cref="KeyPrefix"/>).</summary>
    public RedisBudgetLedgerOptions Ledger { get; } = new();

    /// <summary>Gets the replicator's options (its <see cref="RedisSemanticCacheReplicatorOptions.KeyPrefix"/> is set from <see cref="KeyPrefix"/>,
    /// its <see cref="RedisSemanticCacheReplicatorOptions.OperationTimeout"/> and <see cref="RedisSemanticCacheReplicatorOptions.RetryInterval"/>
    /// from the ledger's).</summary>
    public RedisSemanticCacheReplicatorOptions SemanticCache { get; } = new();
}
