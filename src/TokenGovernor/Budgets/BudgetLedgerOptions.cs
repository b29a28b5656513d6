using System.ComponentModel.DataAnnotations;

namespace TokenGovernor;

/// <summary>Options of <see cref="InMemoryBudgetLedger"/>.</summary>
public sealed class BudgetLedgerOptions
{
    /// <summary>Gets or sets how long a reservation may stay unsettled before the ledger reclaims it (its caller is presumed dead).</summary>
    /// <value>Defaults to 10 minutes; make it longer than your slowest call. Must be between one second and seven days.</value>
    public TimeSpan ReservationLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets the most reservations that may be outstanding at once; a reservation beyond it is refused.</summary>
    /// <value>Defaults to 65,536.</value>
    [Range(16, 16_000_000)]
    public int MaxOutstandingReservations { get; set; } = 65_536;
}
