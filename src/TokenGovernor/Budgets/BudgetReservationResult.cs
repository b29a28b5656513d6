namespace TokenGovernor;

/// <summary>The outcome of <see cref="IBudgetLedger.ReserveAsync"/>: a reservation, or the denial that explains why there was none.</summary>
public readonly struct BudgetReservationResult
{
    private BudgetReservationResult(BudgetReservation reservation, BudgetDenial? denial, double utilization)
    {
        Reservation = reservation;
        Denial = denial;
        Utilization = utilization;
    }

    /// <summary>Gets a value indicating whether the reservation was made.</summary>
    public bool IsGranted => Denial is null;

    /// <summary>Gets the reservation (default when denied).</summary>
    public BudgetReservation Reservation { get; }

    /// <summary>Gets why the reservation was denied, or <see langword="null"/> when it was granted.</summary>
    public BudgetDenial? Denial { get; }

    /// <summary>Gets the utilization of the tightest applicable budget before this reservation.</summary>
    public double Utilization { get; }

    /// <summary>Creates a granted result.</summary>
    /// <param name="reservation">The reservation.</param>
    /// <param name="utilization">The utilization before the reservation.</param>
    /// <returns>The result.</returns>
    public static BudgetReservationResult Granted(BudgetReservation reservation, double utilization) => new(reservation, null, utilization);

    /// <summary>Creates a denied result.</summary>
    /// <param name="denial">Why.</param>
    /// <param name="utilization">The utilization of the tightest budget.</param>
    /// <returns>The result.</returns>
    public static BudgetReservationResult Denied(BudgetDenial denial, double utilization)
    {
        ArgumentNullException.ThrowIfNull(denial);
        return new(default, denial, utilization);
    }
}
