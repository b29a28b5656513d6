using Microsoft.Extensions.Logging;

namespace TokenGovernor;

internal static partial class PricingLog
{
    [LoggerMessage(EventId = 1001, EventName = "UnknownModelZero", Level = LogLevel.Warning,
        Message = "No price is known for model '{ModelId}'; its calls are priced at zero because UnknownModelPolicy is Zero. Spend is under-reported until a price is added.")]
    public static partial void UnknownModelZero(ILogger logger, string modelId);

    [LoggerMessage(EventId = 1002, EventName = "UnknownModelFallback", Level = LogLevel.Warning,
        Message = "No price is known for model '{ModelId}'; its calls are priced with the fallback price '{FallbackModelId}'.")]
    public static partial void UnknownModelFallback(ILogger logger, string modelId, string fallbackModelId);

    [LoggerMessage(EventId = 1003, EventName = "PriceCatalogStale", Level = LogLevel.Warning,
        Message = "The price catalog is dated {AsOf}, {AgeDays} days ago (older than {StaleAfterDays} days): prices may have changed. Load a current price file (TokenGovernor:PriceFiles, `tokengov prices import`) or update the package.")]
    public static partial void CatalogStale(ILogger logger, string asOf, int ageDays, int staleAfterDays);
}
