using Microsoft.Extensions.Logging;

namespace TokenGovernor;

internal static partial class MeteringLog
{
    [LoggerMessage(EventId = 2001, EventName = "CallMetered", Level = LogLevel.Debug,
        Message = "Metered call to {ModelId}: {InputTokens} input / {OutputTokens} output tokens, {Cost} USD (estimated usage: {Estimated}).")]
    public static partial void CallMetered(ILogger logger, string? modelId, long inputTokens, long outputTokens, decimal cost, bool estimated);

    [LoggerMessage(EventId = 2002, EventName = "UsageMissing", Level = LogLevel.Warning,
        Message = "The provider reported no usage for a call to {ModelId}; usage was estimated with the tokenizer and flagged as estimated.")]
    public static partial void UsageMissing(ILogger logger, string? modelId);

    [LoggerMessage(EventId = 2003, EventName = "AnsweringModelUnknown", Level = LogLevel.Warning,
        Message = "The call was answered by model '{ModelId}', which has no price; it was priced as the requested model '{RequestedModelId}'.")]
    public static partial void AnsweringModelUnknown(ILogger logger, string modelId, string? requestedModelId);

    [LoggerMessage(EventId = 2004, EventName = "SinkFailed", Level = LogLevel.Error,
        Message = "Cost sink {Sink} threw while recording a call; the call itself is unaffected.")]
    public static partial void SinkFailed(ILogger logger, Exception exception, string sink);
}
