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

    [LoggerMessage(EventId = 4009, EventName = "CacheLookupFailed", Level = LogLevel.Warning,
        Message = "The distributed cache could not be read; the call goes to the provider as a miss.")]
    public static partial void LookupFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4004, EventName = "SemanticPublishFailed", Level = LogLevel.Warning,
        Message = "The semantic cache entry could not be published to other instances; it stays in this instance's index.")]
    public static partial void PublishFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4005, EventName = "ReplicatedDimensionMismatch", Level = LogLevel.Warning,
        Message = "A replicated semantic cache entry has {Dimensions} dimensions but this index has {IndexDimensions}; instances must use the same embedder. Entry ignored.")]
    public static partial void ReplicatedDimensionMismatch(ILogger logger, int dimensions, int indexDimensions);

    [LoggerMessage(EventId = 4006, EventName = "EmbedderUnpriced", Level = LogLevel.Warning,
        Message = "The semantic cache's embedder '{Model}' has no price in the catalog and declares none; its calls are metered at 0 USD. Add the model to the price catalog, or have a local embedder return a zero ModelPrice from GetService.")]
    public static partial void EmbedderUnpriced(ILogger logger, string model);

    [LoggerMessage(EventId = 4007, EventName = "VerifierFailed", Level = LogLevel.Warning,
        Message = "The semantic cache's grey-band verifier failed; the candidate (similarity {Similarity}) is treated as different.")]
    public static partial void VerifierFailed(ILogger logger, double similarity, Exception exception);

    [LoggerMessage(EventId = 4008, EventName = "VerifierAnswered", Level = LogLevel.Debug,
        Message = "Grey-band verifier: candidate with similarity {Similarity} is {Verdict}; the check cost {Cost} USD.")]
    public static partial void VerifierAnswered(ILogger logger, double similarity, string verdict, decimal cost);
}
