namespace TokenGovernor.Sqlite;

/// <summary>Options of <see cref="SqliteBudgetLedger"/>.</summary>
public sealed class SqliteBudgetLedgerOptions
{
    internal void Validate()
    {
        var errors = new List<string>();
        if (ReservationLease < TimeSpan.FromSeconds(1) || ReservationLease > TimeSpan.FromDays(7))
        {
            errors.Add($"ReservationLease is {ReservationLease}; it must be between one second and seven days (make it longer than your slowest call)");
        }

        if (BusyTimeout < TimeSpan.Zero || BusyTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"BusyTimeout is {BusyTimeout}; it must be between 0 and 10 minutes");
        }

        if (!Enum.IsDefined(Durability))
        {
            errors.Add($"Durability is {(int)Durability}; use ProcessCrash or PowerLoss");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException($"SqliteBudgetLedgerOptions is invalid: {string.Join("; ", errors)}.");
        }
    }

    /// <summary>Gets or sets how long a reservation may stay unsettled before the ledger reclaims it (its caller is presumed dead,
    /// for example a process that was killed mid-call).</summary>
    /// <value>Defaults to 10 minutes; make it longer than your slowest call. Must be between one second and seven days.</value>
    public TimeSpan ReservationLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets how long an operation waits for another process that holds the database's write lock.</summary>
    /// <value>Defaults to 5 seconds. Must be between 0 and 10 minutes.</value>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how far a committed reserve or settle survives a crash.</summary>
    /// <value>Defaults to <see cref="SqliteDurability.ProcessCrash"/>: survives <c>kill -9</c> of the process; the last commits may be
    /// lost only if the operating system or the machine fails.</value>
    public SqliteDurability Durability { get; set; } = SqliteDurability.ProcessCrash;
}
