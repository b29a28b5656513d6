namespace TokenGovernor;

/// <summary>A reservation made by <see cref="IBudgetLedger.ReserveAsync"/>; settle or release it exactly once.</summary>
/// <param name="Id">The ledger's id for the reservation (unique while it is outstanding; carried on retries so a settle is idempotent).</param>
/// <param name="Cost">The reserved amount in US dollars.</param>
/// <param name="Tokens">The reserved tokens.</param>
public readonly record struct BudgetReservation(long Id, decimal Cost, long Tokens);
