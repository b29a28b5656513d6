using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace TokenGovernor;

/// <summary>The instruments of the <see cref="TokenGovernorDiagnostics.MeterName"/> meter, created once per <see cref="Meter"/>.</summary>
internal sealed class GovernorInstruments
{
    private static readonly ConditionalWeakTable<Meter, GovernorInstruments> s_byMeter = new();
    private static readonly Lazy<GovernorInstruments> s_shared = new(() => For(new Meter(TokenGovernorDiagnostics.MeterName, Version)));

    private GovernorInstruments(Meter meter)
    {
        Meter = meter;
        TokenUsage = meter.CreateHistogram<long>(TokenGovernorDiagnostics.TokenUsageInstrument, "{token}", "Number of input and output tokens used, per call.");
        Cost = meter.CreateCounter<double>(TokenGovernorDiagnostics.CostInstrument, "{USD}", "Cost of metered calls, in US dollars.");
        CacheLookups = meter.CreateCounter<long>(TokenGovernorDiagnostics.CacheLookupsInstrument, "{lookup}", "Response cache lookups, tagged kind=exact|semantic and result=hit|miss.");
        Degradations = meter.CreateCounter<long>(TokenGovernorDiagnostics.DegradationsInstrument, "{step}", "Degradation steps applied by budgets, tagged with the step (refusals included).");
        BudgetUtilization = meter.CreateHistogram<double>(TokenGovernorDiagnostics.BudgetUtilizationInstrument, "1", "Utilization of the tightest applicable budget when a call is admitted.");
        Savings = meter.CreateCounter<double>(TokenGovernorDiagnostics.SavingsInstrument, "{USD}", "Cost avoided, tagged with the mechanism that avoided it.");
    }

    public Counter<long> CacheLookups { get; }

    public Counter<long> Degradations { get; }

    public Histogram<double> BudgetUtilization { get; }

    public Counter<double> Savings { get; }

    public static GovernorInstruments Shared => s_shared.Value;

    public Meter Meter { get; }

    public Histogram<long> TokenUsage { get; }

    public Counter<double> Cost { get; }

    private static string? Version => typeof(GovernorInstruments).Assembly.GetName().Version?.ToString();

    public static GovernorInstruments For(IMeterFactory? factory) =>
        factory is null ? Shared : For(factory.Create(new MeterOptions(TokenGovernorDiagnostics.MeterName) { Version = Version }));

    private static GovernorInstruments For(Meter meter) => s_byMeter.GetValue(meter, static m => new GovernorInstruments(m));
}
