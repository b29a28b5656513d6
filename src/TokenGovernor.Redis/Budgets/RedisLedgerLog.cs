using Microsoft.Extensions.Logging;

namespace TokenGovernor.Redis;

internal static partial class RedisLedgerLog
{
    [LoggerMessage(EventId = 6001, EventName = "RedisLedgerUnavailable", Level = LogLevel.Warning,
        Message = "Redis budget ledger: {Operation} failed ({Error}); applying {Policy} until Redis answers again.")]
    public static partial void Unavailable(ILogger logger, string operation, string error, RedisFailurePolicy policy);

    [LoggerMessage(EventId = 6002, EventName = "RedisLedgerRecovered", Level = LogLevel.Information,
        Message = "Redis budget ledger: Redis answers again; {Pending} pending operations to reconcile.")]
    public static partial void Recovered(ILogger logger, int pending);

    [LoggerMessage(EventId = 6003, EventName = "RedisLedgerReconciled", Level = LogLevel.Information,
        Message = "Redis budget ledger: reconciled {Count} queued operations (settles, releases, fail-open charges, abandoned reserves).")]
    public static partial void Reconciled(ILogger logger, int count);

    [LoggerMessage(EventId = 6004, EventName = "RedisLedgerPendingDropped", Level = LogLevel.Error,
        Message = "Redis budget ledger: more than {Max} operations waited for Redis; the oldest was dropped and its spend is not recorded in Redis. Raise RedisBudgetLedgerOptions.MaxPendingOperations.")]
    public static partial void PendingDropped(ILogger logger, int max);

    [LoggerMessage(EventId = 6005, EventName = "RedisLedgerReclaimed", Level = LogLevel.Warning,
        Message = "Redis budget ledger: reclaimed {Count} reservations whose lease expired unsettled (an instance died or a call outlived the lease).")]
    public static partial void Reclaimed(ILogger logger, long count);
}
