using System.Collections.Concurrent;

namespace TokenGovernor.Redis;

/// <summary>
/// With <see cref="RedisFailurePolicy.FailOpen"/>, what admits calls while Redis cannot: an in-memory ledger holding
/// <see cref="RedisBudgetLedgerOptions.FailOpenLimitFraction"/> of each limit. Its reservation ids carry a flag so settle and
/// release find their way back here; a settle returns the counters so the spend can be queued as a charge for Redis.
/// </summary>
internal sealed class RedisFailOpenLedger
{
    private const long LocalFlag = 1L << 61;
    private readonly InMemoryBudgetLedger _ledger;
    private readonly ConcurrentDictionary<long, RedisCounter[]> _open = new();

    public RedisFailOpenLedger(IReadOnlyList<BudgetPolicy> policies, double fraction, TimeSpan lease, TimeProvider time)
    {
        var share = (decimal)fraction;
        _ledger = new InMemoryBudgetLedger(
            policies.Select(p => p with
            {
                CostLimit = p.CostLimit is { } c ? decimal.Round(c * share, 9, MidpointRounding.ToZero) : null,
                TokenLimit = p.TokenLimit is { } t ? (long)Math.Floor(t * fraction) : null,

                // At least one request: a request limit must be positive, and one call per window keeps the scope usable.
                RequestLimit = p.RequestLimit is { } r ? Math.Max(1, (long)Math.Floor(r * fraction)) : null,
                SoftThresholds = [],
            }),
            new BudgetLedgerOptions { ReservationLease = lease },
            time);
    }

    /// <summary>Gets how many local reservations are open.</summary>
    public int OpenCount => _open.Count;

    public static bool Owns(BudgetReservation reservation) => (reservation.Id & LocalFlag) != 0;

    public async ValueTask<BudgetReservationResult> ReserveAsync(GovernanceScope scope, decimal cost, long tokens, RedisCounter[] counters, CancellationToken cancellationToken)
    {
        var local = await _ledger.ReserveAsync(scope, cost, tokens, cancellationToken).ConfigureAwait(false);
        if (!local.IsGranted)
        {
            return local;
        }

        var id = local.Reservation.Id | LocalFlag;
        _open[id] = counters;
        return BudgetReservationResult.Granted(local.Reservation with { Id = id }, local.Utilization);
    }

    /// <summary>Settles locally. Returns null when the reservation was not open; else what was left unused and the counters to charge in Redis.</summary>
    public async ValueTask<(decimal? Unused, RedisCounter[] Counters)?> SettleAsync(BudgetReservation reservation, decimal actualCost, long actualTokens, CancellationToken cancellationToken)
    {
        if (!_open.TryRemove(reservation.Id, out var counters))
        {
            return null;
        }

        var unused = await _ledger.SettleAsync(reservation with { Id = reservation.Id & ~LocalFlag }, actualCost, actualTokens, cancellationToken).ConfigureAwait(false);
        return (unused, counters);
    }

    public async ValueTask<bool> ReleaseAsync(BudgetReservation reservation, CancellationToken cancellationToken) =>
        _open.TryRemove(reservation.Id, out _) &&
        await _ledger.ReleaseAsync(reservation with { Id = reservation.Id & ~LocalFlag }, cancellationToken).ConfigureAwait(false);

    public double GetUtilization(GovernanceScope scope) => _ledger.GetUtilization(scope);

    public IReadOnlyList<BudgetUsage> GetUsage(GovernanceScope scope) => _ledger.GetUsage(scope);
}
