using System.Collections.Concurrent;

namespace TokenGovernor;

/// <summary>
/// What routing saved: per feature, the cost of what routing chose beside what the same usage would have cost on the top
/// tier, and the traffic mix per tier. Registered by <c>AddTokenGovernor</c>; the router reports every routed call to it.
/// </summary>
/// <remarks>Thread-safe.</remarks>
public sealed class RoutingSavingsTracker
{
    private readonly ConcurrentDictionary<string, Row> _rows = new(StringComparer.Ordinal);

    /// <summary>Records one routed call.</summary>
    /// <param name="feature">The call's feature.</param>
    /// <param name="tier">The tier that answered.</param>
    /// <param name="cost">What the call cost.</param>
    /// <param name="topTierCost">What the same usage would have cost on the top tier.</param>
    public void Add(string? feature, string tier, decimal cost, decimal topTierCost)
    {
        var row = _rows.GetOrAdd(feature ?? string.Empty, static _ => new Row());
        lock (row)
        {
            row.Calls++;
            row.Cost += cost;
            row.TopTierCost += topTierCost;
            row.Mix[tier] = row.Mix.GetValueOrDefault(tier) + 1;
        }
    }

    /// <summary>Gets the savings per feature.</summary>
    /// <returns>One entry per feature: calls, routed cost, top-tier cost, and calls per tier.</returns>
    public IReadOnlyList<(string? Feature, long Calls, decimal Cost, decimal TopTierCost, IReadOnlyDictionary<string, long> Mix)> GetReport() =>
        _rows.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r =>
        {
            lock (r.Value)
            {
                return (r.Key.Length == 0 ? null : r.Key, r.Value.Calls, r.Value.Cost, r.Value.TopTierCost,
                    (IReadOnlyDictionary<string, long>)new Dictionary<string, long>(r.Value.Mix));
            }
        }).ToList();

    private sealed class Row
    {
        public long Calls { get; set; }

        public decimal Cost { get; set; }

        public decimal TopTierCost { get; set; }

        public Dictionary<string, long> Mix { get; } = new(StringComparer.Ordinal);
    }
}
