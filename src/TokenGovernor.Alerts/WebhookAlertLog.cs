using Microsoft.Extensions.Logging;

namespace TokenGovernor.Alerts;

/// <summary>Log messages of the webhook alert sink (event ids 7211-7299).</summary>
internal static partial class WebhookAlertLog
{
    [LoggerMessage(EventId = 7211, EventName = "AlertQueueFull", Level = LogLevel.Warning,
        Message = "The alert webhook is {Capacity} alerts behind; {Dropped} alerts dropped so far. The endpoint is too slow or down: check it, or raise WebhookAlertOptions.QueueCapacity.")]
    public static partial void QueueFull(ILogger logger, int capacity, long dropped);

    [LoggerMessage(EventId = 7212, EventName = "AlertDeliveryFailed", Level = LogLevel.Error,
        Message = "A {Kind} alert could not be delivered to {Url} after its retries (status {Status}); it was given up. Check the endpoint or WebhookAlertOptions.Url.")]
    public static partial void DeliveryFailed(ILogger logger, Exception? exception, BudgetAlertKind kind, Uri url, int? status);

    [LoggerMessage(EventId = 7213, EventName = "AlertsAbandonedAtShutdown", Level = LogLevel.Warning,
        Message = "{Count} alerts were still queued when the sink was disposed and WebhookAlertOptions.ShutdownTimeout ({Timeout}) ran out; they were not sent.")]
    public static partial void AbandonedAtShutdown(ILogger logger, int count, TimeSpan timeout);
}
