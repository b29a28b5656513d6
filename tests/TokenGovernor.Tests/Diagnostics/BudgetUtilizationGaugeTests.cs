using System.Diagnostics.Metrics;
using Xunit;

namespace TokenGovernor.Tests.Diagnostics;

public sealed class BudgetUtilizationGaugeTests
{
    [Fact]
    public void Observe_ScopesSeen_OneMeasurementPerTenantBudget()
    {
        using var harness = new Harness();
        harness.Gauge.Record(Record("a"));
        harness.Gauge.Record(Record("b"));
        harness.Gauge.Record(Record("a"));

        var keys = harness.Collect();

        Assert.Equal(["a", "b"], keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Record_ManyMoreScopesThanTheCap_KeepsAtMostTheCapPlusSlackAndTheNewest()
    {
        using var harness = new Harness();
        const int total = BudgetUtilizationGauge.MaxScopes * 3;
        for (var i = 0; i < total; i++)
        {
            harness.Gauge.Record(Record("t" + i));
        }

        var keys = harness.Collect();

        Assert.InRange(keys.Count, BudgetUtilizationGauge.MaxScopes, BudgetUtilizationGauge.MaxScopes + (BudgetUtilizationGauge.MaxScopes / 8));
        Assert.Contains("t" + (total - 1), keys);
        Assert.DoesNotContain("t0", keys);
    }

    [Fact]
    public async Task Record_SixteenConcurrentCallers_StaysBoundedAndKeepsTrimming()
    {
        using var harness = new Harness();
        const int perCaller = 500;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(c => Task.Run(() =>
        {
            for (var i = 0; i < perCaller; i++)
            {
                harness.Gauge.Record(Record($"c{c}-{i}"));
            }
        })));

        var keys = harness.Collect();

        // Callers that find a trim under way skip it, so a few more than the slack may remain; far fewer than the 8,000 seen.
        Assert.InRange(keys.Count, BudgetUtilizationGauge.MaxScopes, 2 * BudgetUtilizationGauge.MaxScopes);
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());

        // The count kept beside the dictionary stayed true: new scopes still trim the gauge back near the cap.
        for (var i = 0; i < BudgetUtilizationGauge.MaxScopes * 2; i++)
        {
            harness.Gauge.Record(Record("late" + i));
        }

        Assert.InRange(harness.Collect().Count, BudgetUtilizationGauge.MaxScopes, BudgetUtilizationGauge.MaxScopes + (BudgetUtilizationGauge.MaxScopes / 8));
    }

    private static GovernanceRecord Record(string tenant) => new() { Scope = GovernanceScope.Empty with { Tenant = tenant } };

    private sealed class Harness : IDisposable
    {
        private readonly Factory _factory = new();
        private readonly MeterListener _listener = new();
        private readonly List<string> _keys = [];

        public Harness()
        {
            var ledger = new InMemoryBudgetLedger([new BudgetPolicy("tenant") { Level = ScopeLevel.Tenant, CostLimit = 10m }]);
            Gauge = new BudgetUtilizationGauge(ledger, _factory);
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (_factory.Created.Contains(instrument.Meter) && instrument.Name == TokenGovernorDiagnostics.BudgetWindowUtilizationInstrument)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, _, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "token_governor.budget.key")
                    {
                        _keys.Add((string)tag.Value!);
                    }
                }
            });
            _listener.Start();
        }

        public BudgetUtilizationGauge Gauge { get; }

        public List<string> Collect()
        {
            _keys.Clear();
            _listener.RecordObservableInstruments();
            return [.. _keys];
        }

        public void Dispose()
        {
            _listener.Dispose();
            Gauge.Dispose();
            _factory.Dispose();
        }
    }

    private sealed class Factory : IMeterFactory
    {
        public List<Meter> Created { get; } = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            Created.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (var meter in Created)
            {
                meter.Dispose();
            }
        }
    }
}
