using Microsoft.Extensions.Logging;

namespace TokenGovernor.Sqlite;

/// <summary>Log messages of the SQLite ledger and spend store (event ids 7001-7099).</summary>
internal static partial class SqliteLedgerLog
{
    [LoggerMessage(EventId = 7001, EventName = "SqliteReservationReclaimed", Level = LogLevel.Warning,
        Message = "Reclaimed budget reservation {ReservationId} (${Cost}) after its lease expired; its caller stopped before settling (crashed or killed).")]
    public static partial void ReservationReclaimed(ILogger logger, long reservationId, decimal cost);
}
