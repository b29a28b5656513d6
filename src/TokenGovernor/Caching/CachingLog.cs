using Microsoft.Extensions.Logging;

namespace TokenGovernor;

internal static partial class CachingLog
{
    [LoggerMessage(EventId = 4001, EventName = "CacheHit", Level = LogLevel.Debug,
        Message = "Response cache {Kind} hit (similarity {Similarity}); avoided {Saved} USD.")]
    public static partial void Hit(ILogger logger, string kind, double similarity, decimal saved);

    [LoggerMessage(EventId = 4002, EventName = "SemanticHitRejected", Level = LogLevel.Debug,
        Message = "Semantic cache candidate with similarity {Similarity} rejected by the guard: {Reason}.")]
    public static partial void Rejected(ILogger logger, double similarity, string reason);

    [LoggerMessage(EventId = 4003, EventName = "CacheStoreFailed", Level = LogLevel.Warning,
        Message = "The response could not be stored in the distributed cache; the call itself is unaffected.")]
    public static partial void StoreFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4004, EventName = "SemanticPublishFailed", Level = LogLevel.Warning,
        Message = "The semantic cache entry could not be published to other instances; it stays in this instance's index.")]
    public static partial void PublishFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4005, EventName = "ReplicatedDimensionMismatch", Level = LogLevel.Warning,
        Message = "A replicated semantic cache entry has {Dimensions} dimensions but this index has {IndexDimensions}; instances must use the same embedder. Entry ignored.")]
    public static partial void ReplicatedDimensionMismatch(ILogger logger, int dimensions, int indexDimensions);
}
