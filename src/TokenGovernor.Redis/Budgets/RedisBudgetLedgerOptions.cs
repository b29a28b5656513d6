using System.ComponentModel.DataAnnotations;

namespace TokenGovernor.Redis;

/// <summary>Options for <see cref="RedisBudgetLedger"/>.</summary>
public sealed class RedisBudgetLedgerOptions
{
    /// <summary>
    /// Gets or sets the prefix of every key the ledger writes. It is wrapped in a hash tag (<c>{prefix}</c>) so that on a Redis
    /// Cluster one ledger lives on one slot. Instances that share budgets must use the same prefix (and the same policies).
    /// </summary>
    [Required]
    [RegularExpression(@"^[^{}\s]{1,64}$", ErrorMessage = "KeyPrefix must be 1-64 characters without braces or whitespace.")]
    public string KeyPrefix { get; set; } = "tokengovernor";

    /// <summary>Gets or sets the Redis database number; -1 uses the connection's default.</summary>
    [Range(-1, 1024)]
    public int Database { get; set; } = -1;

    /// <summary>
    /// Gets or sets how long a reservation may stay open. An instance that dies mid-call never settles; after the lease, the next
    /// reservation on any instance reclaims its hold. Make it longer than your slowest call.
    /// </summary>
    public TimeSpan ReservationLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets how long a closed reservation is remembered, so a retried settle or release is recognised and ignored.
    /// At least twice the lease is used whatever is set here.</summary>
    public TimeSpan ClosedReservationRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Gets or sets the longest a ledger operation waits for Redis before the failure policy applies.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets or sets what happens when Redis is unreachable or slower than <see cref="OperationTimeout"/>.</summary>
    public RedisFailurePolicy FailurePolicy { get; set; } = RedisFailurePolicy.FailClosed;

    /// <summary>Gets or sets the share of each limit one instance may spend on its own while Redis is down (fail-open only).</summary>
    [Range(0.0, 1.0)]
    public double FailOpenLimitFraction { get; set; } = 0.1;

    /// <summary>Gets or sets how long after a lost connection (or <see cref="TimeoutsBeforeBreaking"/> timeouts in a row) the ledger
    /// goes straight to the failure policy before it tries Redis again (so an outage costs one timeout per interval, not one per call).</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets or sets how many operations in a row must time out, with no success between them, before the ledger stops asking Redis
    /// for <see cref="RetryInterval"/>. One slow reply (a busy host, a pause) then fails only its own call instead of closing the
    /// ledger to every caller; a lost connection stops it at once whatever this is.
    /// </summary>
    /// <value>5.</value>
    [Range(1, 1000)]
    public int TimeoutsBeforeBreaking { get; set; } = 5;

    /// <summary>
    /// Gets or sets how long a counter's utilization, as last seen in a reply from Redis, answers <see cref="IBudgetLedger.GetUtilization"/>
    /// (which steers the degradation ladder and routing) before it is read again. Admission itself always happens in Redis.
    /// </summary>
    public TimeSpan UtilizationCacheDuration { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets how many settles and fail-open charges may wait for Redis to come back; beyond it the oldest are
    /// dropped (logged and counted).</summary>
    [Range(1, 10_000_000)]
    public int MaxPendingOperations { get; set; } = 100_000;

    /// <summary>Gets or sets how many expired leases one reservation reclaims at most (the sweep runs inside the reserve script).</summary>
    [Range(1, 1000)]
    public int ReclaimBatchSize { get; set; } = 16;

    internal RedisBudgetLedgerOptions Clone() => (RedisBudgetLedgerOptions)MemberwiseClone();
}
