namespace TokenGovernor;

/// <summary>
/// Keeps what each budget has spent and has reserved for calls in flight, and admits calls atomically across every policy
/// that applies to them (all or none).
/// </summary>
/// <remarks>
/// <para>A call reserves before it is sent (<see cref="ReserveAsync"/>), then settles its real cost (<see cref="SettleAsync"/>)
/// or, when nothing was spent, releases the reservation (<see cref="ReleaseAsync"/>). Settling or releasing a reservation a
/// second time does nothing, so retries never double-count. Reservations that are never settled (a crashed caller) expire
/// after the ledger's lease and are reclaimed.</para>
/// <para>Each granted reservation also counts one request in the current window of every applicable budget, checked against
/// <see cref="BudgetPolicy.RequestLimit"/> in the same atomic step (a refusal sets <see cref="BudgetDenial.IsRequestLimit"/> and
/// <see cref="BudgetDenial.RetryAfter"/>). Settling keeps the request counted; releasing or reclaiming the reservation gives it
/// back to the window that counted it, while that window is current.</para>
/// <para>Implementations are thread-safe.</para>
/// </remarks>
public interface IBudgetLedger
{
    /// <summary>Raised once per window when a budget's utilization crosses one of its policy's soft thresholds.</summary>
    event EventHandler<BudgetThresholdCrossedEventArgs>? ThresholdCrossed;

    /// <summary>Gets the policies the ledger enforces.</summary>
    IReadOnlyList<BudgetPolicy> Policies { get; }

    /// <summary>Reserves <paramref name="cost"/> and <paramref name="tokens"/> in every budget that applies to <paramref name="scope"/>,
    /// or in none of them.</summary>
    /// <param name="scope">The call's scope.</param>
    /// <param name="cost">The amount to reserve, in US dollars (the call's worst case under strict policies).</param>
    /// <param name="tokens">The tokens to reserve (prompt plus output cap).</param>
    /// <param name="cancellationToken">Cancels the reservation.</param>
    /// <returns>The reservation, or the denial that names the budget that has no room.</returns>
    ValueTask<BudgetReservationResult> ReserveAsync(GovernanceScope scope, decimal cost, long tokens, CancellationToken cancellationToken = default);

    /// <summary>Replaces a reservation by the call's real cost and tokens. A second settle or release of the same reservation does nothing.</summary>
    /// <param name="reservation">The reservation.</param>
    /// <param name="actualCost">What the call cost, in US dollars.</param>
    /// <param name="actualTokens">The tokens the call used.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The unused part of the reservation (reserved minus actual; negative when the call cost more than reserved), or
    /// <see langword="null"/> when the reservation was already settled, released or reclaimed.</returns>
    ValueTask<decimal?> SettleAsync(BudgetReservation reservation, decimal actualCost, long actualTokens, CancellationToken cancellationToken = default);

    /// <summary>Returns a reservation unspent (the call failed before anything was billed). A second release or settle does nothing.</summary>
    /// <param name="reservation">The reservation.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when this call released it; <see langword="false"/> when it was already settled, released or reclaimed.</returns>
    ValueTask<bool> ReleaseAsync(BudgetReservation reservation, CancellationToken cancellationToken = default);

    /// <summary>Gets the utilization of the tightest budget that applies to <paramref name="scope"/>: (spent + reserved) / limit, 0 when none applies.</summary>
    /// <param name="scope">The call's scope.</param>
    /// <returns>The highest utilization among the applicable budgets (may exceed 1 after optimistic overspend).</returns>
    double GetUtilization(GovernanceScope scope);

    /// <summary>Gets the current state of every budget that applies to <paramref name="scope"/>.</summary>
    /// <param name="scope">The scope.</param>
    /// <returns>One entry per applicable policy.</returns>
    IReadOnlyList<BudgetUsage> GetUsage(GovernanceScope scope);
}
