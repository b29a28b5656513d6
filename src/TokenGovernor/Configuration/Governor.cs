namespace TokenGovernor;

/// <summary>
/// The application-facing handle on TokenGovernor, registered by <c>AddTokenGovernor</c>: open scopes, read budgets and spend.
/// </summary>
/// <remarks>Thread-safe; one instance per service provider.</remarks>
public sealed class Governor
{
    /// <summary>Initializes a new handle.</summary>
    /// <param name="budgets">The budget ledger.</param>
    /// <param name="costs">The in-memory cost totals.</param>
    /// <param name="catalog">The price catalog.</param>
    /// <param name="outcomes">Attributes spend to run outcomes.</param>
    public Governor(IBudgetLedger budgets, InMemoryCostAggregator costs, PriceCatalog catalog, OutcomeTracker outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        Outcomes = outcomes;
        ArgumentNullException.ThrowIfNull(budgets);
        ArgumentNullException.ThrowIfNull(costs);
        ArgumentNullException.ThrowIfNull(catalog);
        Budgets = budgets;
        Costs = costs;
        Catalog = catalog;
    }

    /// <summary>Gets the budget ledger (utilization, usage per budget, threshold events).</summary>
    public IBudgetLedger Budgets { get; }

    /// <summary>Gets the running cost totals by tenant, feature and model.</summary>
    public InMemoryCostAggregator Costs { get; }

    /// <summary>Gets the outcome tracker (cost per successful run per feature).</summary>
    public OutcomeTracker Outcomes { get; }

    /// <summary>Gets the price catalog.</summary>
    public PriceCatalog Catalog { get; }

    /// <summary>Makes a scope ambient for the current async flow until the returned handle is disposed; see <see cref="GovernanceScope.Begin"/>.</summary>
    /// <param name="tenant">The tenant.</param>
    /// <param name="feature">The feature.</param>
    /// <param name="session">The session.</param>
    /// <param name="run">The agent run.</param>
    /// <param name="tags">Extra tags.</param>
    /// <returns>A handle that restores the enclosing scope when disposed.</returns>
    public IDisposable BeginScope(string? tenant = null, string? feature = null, string? session = null, string? run = null,
        IReadOnlyDictionary<string, string>? tags = null) => GovernanceScope.Begin(tenant, feature, session, run, tags);

    /// <summary>Records how a run ended, so its spend counts toward cost per outcome; see <see cref="OutcomeTracker.RecordOutcome"/>.</summary>
    /// <param name="scope">The run's scope.</param>
    /// <param name="success">Whether the run achieved its goal.</param>
    /// <param name="value">The business value of a success, or <see langword="null"/>.</param>
    public void RecordOutcome(GovernanceScope scope, bool success, decimal? value = null) => Outcomes.RecordOutcome(scope, success, value);

    /// <summary>Gets cost per successful run beside total spend, per feature.</summary>
    /// <returns>One row per feature.</returns>
    public IReadOnlyList<OutcomeReportRow> GetOutcomeReport() => Outcomes.GetReport();

    /// <summary>Gets the state of every budget that covers the current scope.</summary>
    /// <returns>One entry per applicable policy.</returns>
    public IReadOnlyList<BudgetUsage> GetBudgetUsage() => Budgets.GetUsage(GovernanceScope.Current);
}
