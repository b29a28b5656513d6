using Microsoft.Extensions.Logging;

namespace TokenGovernor;

internal static partial class RoutingLog
{
    [LoggerMessage(EventId = 6001, EventName = "RoutingFailedOver", Level = LogLevel.Warning, Message = "Deployment {ModelId} failed ({Error}); failing over.")]
    public static partial void FailedOver(ILogger logger, string modelId, string error);

    [LoggerMessage(EventId = 6002, EventName = "RoutingEscalated", Level = LogLevel.Information, Message = "Escalated to tier {Tier} ({Reason}).")]
    public static partial void Escalated(ILogger logger, string tier, string reason);
}
