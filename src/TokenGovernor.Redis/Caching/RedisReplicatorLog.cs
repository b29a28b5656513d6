using Microsoft.Extensions.Logging;

namespace TokenGovernor.Redis;

internal static partial class RedisReplicatorLog
{
    [LoggerMessage(EventId = 6101, EventName = "SemanticStreamReadFailed", Level = LogLevel.Warning,
        Message = "Reading shared semantic cache entries from Redis failed; retrying on the next poll.")]
    public static partial void ReadFailed(ILogger logger, Exception exception);
}
