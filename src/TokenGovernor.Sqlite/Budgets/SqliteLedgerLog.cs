using Microsoft.Extensions.Logging;

namespace TokenGovernor.Sqlite;

/// <summary>Log messages of the SQLite ledger and spend store (event ids 1400-1499).</summary>
internal static partial class SqliteLedgerLog
{
    [LoggerMessage(EventId = 1400, EventName = "SqliteReservationReclaimed", Level = LogLevel.Warning,
        Message = "Reclaimed budget reservation {ReservationId} (${Cost}) after its lease expired; its caller stopped before settling (crashed or killed).")]
    public static partial void ReservationReclaimed(ILogger logger, long reservationId, decimal cost);
}
