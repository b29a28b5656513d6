using Microsoft.Extensions.Logging;

namespace TokenGovernor;

internal static partial class ConfigurationLog
{
    [LoggerMessage(EventId = 7001, EventName = "UnknownConfigurationKey", Level = LogLevel.Warning,
        Message = "{Problem} It is ignored (TokenGovernor:UnknownKeys is Warn).")]
    public static partial void UnknownKey(ILogger logger, string problem);
}
