using Microsoft.Extensions.Logging;

namespace TokenGovernor;

internal static partial class BudgetLog
{
    [LoggerMessage(EventId = 3001, EventName = "BudgetDegraded", Level = LogLevel.Information,
        Message = "Budget utilization {Utilization:P0} for {Scope}: applied '{Step}'.")]
    public static partial void Degraded(ILogger logger, double utilization, GovernanceScope scope, string step);

    [LoggerMessage(EventId = 3002, EventName = "BudgetRefused", Level = LogLevel.Warning,
        Message = "Budget refused a call for {Scope}: {Reason}.")]
    public static partial void Refused(ILogger logger, GovernanceScope scope, string reason);

    [LoggerMessage(EventId = 3003, EventName = "BudgetOverspent", Level = LogLevel.Warning,
        Message = "A call for {Scope} cost {Actual} USD, more than the {Reserved} USD it reserved; the budget may go over its limit by the difference.")]
    public static partial void CostAboveReservation(ILogger logger, GovernanceScope scope, decimal actual, decimal reserved);
}
