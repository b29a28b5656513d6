using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace TokenGovernor;

/// <summary>
/// Publishes <c>token_governor.budget.window_utilization</c>: an observable gauge of (spent + reserved) / limit for every budget that
/// recent calls touched, read from the ledger when the meter is collected (so it is never stale and costs nothing per call).
/// </summary>
/// <remarks>As an <see cref="ICostSink"/> it learns the scopes calls run in; it keeps at most <see cref="MaxScopes"/> of them (the
/// most recently seen), which bounds the gauge's cardinality.</remarks>
internal sealed class BudgetUtilizationGauge : ICostSink, IDisposable
{
    public const int MaxScopes = 1_000;
    private readonly IBudgetLedger _ledger;
    private readonly ConcurrentDictionary<GovernanceScope, long> _scopes = new();
    private readonly ObservableGauge<double> _gauge;
    private readonly Meter? _ownedMeter;
    private readonly Lock _trimLock = new();
    private long _tick;
    private int _count;

    public BudgetUtilizationGauge(IBudgetLedger ledger, IMeterFactory? meterFactory)
    {
        _ledger = ledger;
        Meter meter;
        if (meterFactory is null)
        {
            meter = _ownedMeter = new Meter(TokenGovernorDiagnostics.MeterName);
        }
        else
        {
            meter = meterFactory.Create(new MeterOptions(TokenGovernorDiagnostics.MeterName));
        }

        _gauge = meter.CreateObservableGauge(TokenGovernorDiagnostics.BudgetWindowUtilizationInstrument, Observe, "1",
            "Utilization of each budget in its current window: (spent + reserved) / limit, read from the ledger when collected.");
    }

    public void Record(GovernanceRecord record)
    {
        if (_ledger.Policies.Count == 0)
        {
            return;
        }

        // Tags play no part in budget keys; dropping them lets scopes compare equal.
        var scope = record.Scope.Tags.Count == 0 ? record.Scope : record.Scope with { Tags = GovernanceScope.Empty.Tags };
        var tick = Interlocked.Increment(ref _tick);
        if (!_scopes.TryAdd(scope, tick))
        {
            _scopes[scope] = tick;
            return;
        }

        // Counted beside the dictionary: its Count takes every lock of the table, too dear for every call.
        if (Interlocked.Increment(ref _count) > MaxScopes + (MaxScopes / 8) && _trimLock.TryEnter())
        {
            // Amortised: trimmed back to MaxScopes once per MaxScopes/8 new scopes, never on every call, by one caller at a time.
            // ConcurrentDictionary.ToArray is an atomic snapshot; LINQ over the live dictionary is not (it sizes its copy from
            // Count, then copies a dictionary other callers keep growing, and throws).
            try
            {
                var snapshot = _scopes.ToArray();
                Array.Sort(snapshot, static (x, y) => x.Value.CompareTo(y.Value));
                for (var i = 0; i < snapshot.Length - MaxScopes; i++)
                {
                    if (_scopes.TryRemove(snapshot[i]))
                    {
                        Interlocked.Decrement(ref _count);
                    }
                }
            }
            finally
            {
                _trimLock.Exit();
            }
        }
    }

    public void Dispose() => _ownedMeter?.Dispose();

    private IEnumerable<Measurement<double>> Observe()
    {
        var seen = new HashSet<(string, string)>();
        var measurements = new List<Measurement<double>>();
        foreach (var scope in _scopes.Keys)
        {
            IReadOnlyList<BudgetUsage> usage;
            try
            {
                usage = _ledger.GetUsage(scope);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException or TimeoutException)
            {
                continue; // a ledger that cannot answer now (Redis down, disposed at shutdown): no reading rather than a wrong one
            }

            foreach (var u in usage)
            {
                if (seen.Add((u.Policy.Name, u.Key)))
                {
                    measurements.Add(new Measurement<double>(u.Utilization,
                        new KeyValuePair<string, object?>("token_governor.budget.policy", u.Policy.Name),
                        new KeyValuePair<string, object?>("token_governor.budget.key", u.Key),
                        new KeyValuePair<string, object?>("token_governor.budget.window", u.Policy.Window.ToString())));
                }
            }
        }

        return measurements;
    }
}
