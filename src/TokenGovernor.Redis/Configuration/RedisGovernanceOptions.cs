namespace TokenGovernor.Redis;

/// <summary>Options for <c>UseRedis</c>: which of TokenGovernor's state is shared through Redis, and how.</summary>
public sealed class RedisGovernanceOptions
{
    /// <summary>Gets or sets the prefix of every key (budgets, caches); instances that share state use the same one.</summary>
    public string KeyPrefix { get; set; } = "tokengovernor";

    /// <summary>Gets or sets a value indicating whether budgets are kept in Redis (<see cref="RedisBudgetLedger"/>) instead of in each process.</summary>
    public bool ShareBudgets { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether the exact response cache is kept in Redis (an <c>IDistributedCache</c> from
    /// Microsoft.Extensions.Caching.StackExchangeRedis, registered for the whole app).</summary>
    public bool ShareExactCache { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether semantic-cache entries are replicated to every instance (<see cref="RedisSemanticCacheReplicator"/>).</summary>
    public bool ShareSemanticCache { get; set; } = true;

    /// <summary>Gets the ledger's options (its <see cref="RedisBudgetLedgerOptions.KeyPrefix"/> is set from <see cref="KeyPrefix"/>).</summary>
    public RedisBudgetLedgerOptions Ledger { get; } = new();

    /// <summary>Gets the replicator's options (its <see cref="RedisSemanticCacheReplicatorOptions.KeyPrefix"/> is set from <see cref="KeyPrefix"/>).</summary>
    public RedisSemanticCacheReplicatorOptions SemanticCache { get; } = new();
}
