using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>Log messages of budget alerts in the core package (event ids 7201-7209; the webhook package uses 7211-7299).</summary>
internal static partial class AlertLog
{
    [LoggerMessage(EventId = 7201, EventName = "AlertSinkFailed", Level = LogLevel.Warning,
        Message = "The budget alert sink {Sink} threw on a {Kind} alert; the call goes on. A sink must only queue the alert.")]
    public static partial void SinkFailed(ILogger logger, Exception exception, string sink, BudgetAlertKind kind);
}
