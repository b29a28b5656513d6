using Microsoft.Extensions.Logging;

namespace TokenGovernor.Redis;

internal static partial class RedisCacheLog
{
    [LoggerMessage(EventId = 6101, EventName = "SemanticStreamReadFailed", Level = LogLevel.Warning,
        Message = "Reading shared semantic cache entries from Redis failed; retrying on the next poll.")]
    public static partial void ReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6102, EventName = "RedisCacheUnavailable", Level = LogLevel.Warning,
        Message = "Redis shared caches: {Kind} {Operation} failed ({Error}) at {Endpoint}; lookups are misses and stores are skipped until Redis answers again (calls are unaffected; Redis is tried again after {RetryMs} ms). Logged once per outage; count: token_governor.cache.fallbacks.")]
    public static partial void Unavailable(ILogger logger, string kind, string operation, string error, string endpoint, double retryMs);

    [LoggerMessage(EventId = 6103, EventName = "RedisCacheRecovered", Level = LogLevel.Information,
        Message = "Redis shared caches: Redis at {Endpoint} answers again.")]
    public static partial void Recovered(ILogger logger, string endpoint);
}
