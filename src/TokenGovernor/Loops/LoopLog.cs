using Microsoft.Extensions.Logging;

namespace TokenGovernor;

internal static partial class LoopLog
{
    [LoggerMessage(EventId = 5001, EventName = "LoopIntervened", Level = LogLevel.Information, Message = "Agent run '{Run}': {Intervention}.")]
    public static partial void Intervened(ILogger logger, string run, string intervention);

    [LoggerMessage(EventId = 5002, EventName = "LoopStopped", Level = LogLevel.Warning, Message = "Agent run '{Run}' stopped: {Limit}.")]
    public static partial void Stopped(ILogger logger, string run, string limit);

    [LoggerMessage(EventId = 5003, EventName = "CircuitChanged", Level = LogLevel.Warning,
        Message = "Cost circuit for '{Scope}' went from {From} to {To} (window cost {WindowCost} USD).")]
    public static partial void CircuitChanged(ILogger logger, string scope, CircuitState from, CircuitState to, decimal windowCost);
}
