using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>Log messages of the spend store sink (event ids 7101-7199).</summary>
internal static partial class SpendLog
{
    [LoggerMessage(EventId = 7101, EventName = "SpendQueueFull", Level = LogLevel.Warning,
        Message = "The spend store is {Capacity} records behind; {Dropped} records dropped so far. The store is too slow or down: check it, or raise SpendStoreSinkOptions.QueueCapacity.")]
    public static partial void QueueFull(ILogger logger, int capacity, long dropped);

    [LoggerMessage(EventId = 7102, EventName = "SpendBatchFailed", Level = LogLevel.Warning,
        Message = "Writing {Count} records to the spend store failed (attempt {Attempt}); retrying.")]
    public static partial void BatchFailed(ILogger logger, Exception exception, int count, int attempt);

    [LoggerMessage(EventId = 7103, EventName = "SpendBatchDropped", Level = LogLevel.Error,
        Message = "Writing {Count} records to the spend store failed {Attempts} times; they were dropped. Check the store's connection and disk.")]
    public static partial void BatchDropped(ILogger logger, Exception exception, int count, int attempts);
}
