using System.ComponentModel.DataAnnotations;

namespace TokenGovernor.Redis;

/// <summary>Options for <see cref="RedisSemanticCacheReplicator"/>.</summary>
public sealed class RedisSemanticCacheReplicatorOptions
{
    /// <summary>Gets or sets the key prefix (wrapped in a hash tag); instances that share semantic entries use the same one.</summary>
    [Required]
    [RegularExpression(@"^[^{}\s]{1,64}$", ErrorMessage = "KeyPrefix must be 1-64 characters without braces or whitespace.")]
    public string KeyPrefix { get; set; } = "tokengovernor";

    /// <summary>Gets or sets the Redis database number; -1 uses the connection's default.</summary>
    [Range(-1, 1024)]
    public int Database { get; set; } = -1;

    /// <summary>Gets or sets how many entries the stream keeps (approximately; older ones are trimmed). A new instance warms its
    /// index from at most this many.</summary>
    [Range(1, 10_000_000)]
    public int MaxEntries { get; set; } = 100_000;

    /// <summary>Gets or sets how often the stream is read when no notification arrives (new entries are normally picked up at once
    /// through a pub/sub notification; the poll covers missed notifications and reconnects).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets the longest a publish waits for Redis; past it the publish is skipped (the entry stays in this
    /// instance's index) and the call goes on. <c>UseRedis</c> sets it from <see cref="RedisBudgetLedgerOptions.OperationTimeout"/>,
    /// so one setting bounds every Redis operation.</summary>
    /// <value>500 ms.</value>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets or sets how long publishes skip Redis after one timed out or failed, so an outage costs one
    /// <see cref="OperationTimeout"/> per interval, not one per call. <c>UseRedis</c> sets it from
    /// <see cref="RedisBudgetLedgerOptions.RetryInterval"/>.</summary>
    /// <value>2 s.</value>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    internal RedisSemanticCacheReplicatorOptions Clone() => (RedisSemanticCacheReplicatorOptions)MemberwiseClone();
}
