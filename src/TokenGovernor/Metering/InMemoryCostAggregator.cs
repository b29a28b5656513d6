using System.Collections.Concurrent;

namespace TokenGovernor;

/// <summary>
/// An <see cref="ICostSink"/> that keeps running totals in memory by tenant, feature and model. Registered by
/// <c>AddTokenGovernor</c>; read it from DI to show current spend.
/// </summary>
/// <remarks>Thread-safe; recording takes a short per-key lock and allocates nothing once a key exists.</remarks>
public sealed class InMemoryCostAggregator : ICostSink
{
    private readonly ConcurrentDictionary<(string? Tenant, string? Feature, string? Model), Entry> _entries = new();

    /// <summary>Gets the total cost of every recorded call, in US dollars.</summary>
    public decimal TotalCost
    {
        get
        {
            decimal total = 0;
            foreach (var entry in _entries.Values)
            {
                lock (entry)
                {
                    total += entry.Cost.Total;
                }
            }

            return total;
        }
    }

    /// <inheritdoc />
    public void Record(GovernanceRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var key = (record.Scope.Tenant, record.Scope.Feature, record.PricedModelId ?? record.ModelId);
        var entry = _entries.GetOrAdd(key, static _ => new Entry());
        lock (entry)
        {
            if (record.Cache != CacheStatus.None)
            {
                entry.CacheHits++;
                entry.CostAvoided += record.CostAvoided;
                return;
            }

            entry.Calls += record.ProviderCalls;
            entry.Cost += record.Cost;
            entry.Usage += record.Usage;
            if (record.UsageEstimated)
            {
                entry.EstimatedCalls += record.ProviderCalls;
            }
        }
    }

    /// <summary>Gets a consistent copy of every total, ordered by tenant, feature and model.</summary>
    /// <returns>The totals.</returns>
    public IReadOnlyList<CostAggregate> GetSnapshot()
    {
        var list = new List<CostAggregate>(_entries.Count);
        foreach (var (key, entry) in _entries)
        {
            lock (entry)
            {
                list.Add(new CostAggregate(key.Tenant, key.Feature, key.Model, entry.Calls, entry.CacheHits, entry.Usage, entry.Cost, entry.CostAvoided, entry.EstimatedCalls));
            }
        }

        list.Sort(static (a, b) =>
        {
            var c = string.CompareOrdinal(a.Tenant, b.Tenant);
            c = c != 0 ? c : string.CompareOrdinal(a.Feature, b.Feature);
            return c != 0 ? c : string.CompareOrdinal(a.ModelId, b.ModelId);
        });
        return list;
    }

    /// <summary>Removes every total.</summary>
    public void Reset() => _entries.Clear();

    private sealed class Entry
    {
        public long Calls;
        public long CacheHits;
        public long EstimatedCalls;
        public TokenUsage Usage;
        public CostBreakdown Cost;
        public decimal CostAvoided;
    }
}
