using System.Collections.Concurrent;

namespace TokenGovernor;

/// <summary>
/// Attributes spend to outcomes: as a cost sink it sums the cost of each run (<see cref="GovernanceScope.Run"/>, else session);
/// <see cref="RecordOutcome"/> then files that run as a success or a failure of its feature. Registered by <c>AddTokenGovernor</c>;
/// use it through <see cref="Governor.RecordOutcome"/>.
/// </summary>
/// <remarks>Thread-safe. At most <c>maxTrackedRuns</c> runs without an outcome are remembered; the oldest are forgotten first.</remarks>
public sealed class OutcomeTracker : ICostSink
{
    private readonly ConcurrentDictionary<string, RunCost> _runs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, decimal> _featureSpend = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, FeatureOutcomes> _outcomes = new(StringComparer.Ordinal);
    private readonly int _maxTrackedRuns;
    private long _sequence;

    /// <summary>Initializes a new tracker.</summary>
    /// <param name="maxTrackedRuns">How many runs without an outcome are remembered.</param>
    public OutcomeTracker(int maxTrackedRuns = 100_000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTrackedRuns);
        _maxTrackedRuns = maxTrackedRuns;
    }

    /// <inheritdoc />
    public void Record(GovernanceRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var feature = record.Scope.Feature ?? string.Empty;
        _featureSpend.AddOrUpdate(feature, record.Cost.Total, (_, total) => total + record.Cost.Total);
        if ((record.Scope.Run ?? record.Scope.Session) is { } run)
        {
            var entry = _runs.GetOrAdd(run, static (_, s) => new RunCost(Interlocked.Increment(ref s._sequence)), this);
            lock (entry)
            {
                entry.Cost += record.Cost.Total;
                entry.Feature ??= record.Scope.Feature;
            }

            if (_runs.Count > _maxTrackedRuns)
            {
                foreach (var old in _runs.OrderBy(r => r.Value.Sequence).Take(_runs.Count - _maxTrackedRuns).ToList())
                {
                    _runs.TryRemove(old.Key, out _);
                }
            }
        }
    }

    /// <summary>Records how a run ended; its spend so far is attributed to that outcome.</summary>
    /// <param name="scope">The run's scope (its <see cref="GovernanceScope.Run"/>, else <see cref="GovernanceScope.Session"/>, identifies it).</param>
    /// <param name="success">Whether the run achieved its goal.</param>
    /// <param name="value">The business value of a success, in any unit you sum (for example USD of an order), or <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The scope names no run or session.</exception>
    public void RecordOutcome(GovernanceScope scope, bool success, decimal? value = null)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var run = scope.Run ?? scope.Session
            ?? throw new ArgumentException("RecordOutcome needs a scope with a Run (or Session) so the run's spend can be found; begin the run with GovernanceScope.Begin(run: id).", nameof(scope));
        _runs.TryRemove(run, out var cost);
        var feature = scope.Feature ?? cost?.Feature ?? string.Empty;
        var outcomes = _outcomes.GetOrAdd(feature, static _ => new FeatureOutcomes());
        lock (outcomes)
        {
            outcomes.Runs++;
            if (success)
            {
                outcomes.Successes++;
                outcomes.SpendOnSuccesses += cost?.Cost ?? 0;
                outcomes.Value += value ?? 0;
            }
            else
            {
                outcomes.SpendOnFailures += cost?.Cost ?? 0;
            }
        }
    }

    /// <summary>Gets cost per outcome per feature, beside each feature's total spend.</summary>
    /// <returns>One row per feature that spent or recorded outcomes, ordered by feature.</returns>
    public IReadOnlyList<OutcomeReportRow> GetReport()
    {
        var features = _featureSpend.Keys.Union(_outcomes.Keys).Order(StringComparer.Ordinal);
        var rows = new List<OutcomeReportRow>();
        foreach (var feature in features)
        {
            var total = _featureSpend.GetValueOrDefault(feature);
            var o = _outcomes.GetValueOrDefault(feature) ?? new FeatureOutcomes();
            lock (o)
            {
                rows.Add(new OutcomeReportRow(feature.Length == 0 ? null : feature, o.Runs, o.Successes, o.SpendOnSuccesses, o.SpendOnFailures, total,
                    o.Successes == 0 ? null : total / o.Successes, o.Value));
            }
        }

        return rows;
    }

    private sealed class RunCost(long sequence)
    {
        public long Sequence { get; } = sequence;

        public decimal Cost { get; set; }

        public string? Feature { get; set; }
    }

    private sealed class FeatureOutcomes
    {
        public int Runs { get; set; }

        public int Successes { get; set; }

        public decimal SpendOnSuccesses { get; set; }

        public decimal SpendOnFailures { get; set; }

        public decimal Value { get; set; }
    }
}
