using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace TokenGovernor;

/// <summary>
/// The services every layer of one pipeline shares: prices, token counts, the estimator built from both, the budget ledger,
/// the clock and the cost sinks. Every <c>UseXxx</c> extension resolves them with <see cref="Resolve"/>, so a layer used alone
/// finds the same services a whole <c>UseTokenGovernor</c> pipeline would give it.
/// </summary>
/// <remarks>
/// Resolution order, for each service: what the caller passed explicitly (for example <c>UseBudgets(ledger: x)</c> or
/// <c>UsePriceCatalog(custom)</c>), then what a governed layer below already uses (found with <c>GetService</c> on the inner
/// client, so routing sees the ledger of the budgets below it and budgets price with the catalog of the metering below them),
/// then the application's DI container, then the built-in default.
/// </remarks>
internal sealed class GovernanceServices
{
    public GovernanceServices(PriceCatalog? catalog = null, ITokenEstimator? tokens = null, IBudgetLedger? ledger = null, TimeProvider? time = null,
        IEnumerable<ICostSink>? sinks = null, CostEstimator? estimator = null)
    {
        Catalog = catalog ?? estimator?.Catalog ?? PriceCatalog.BuiltIn;
        Tokens = tokens ?? estimator?.Tokens ?? TiktokenTokenEstimator.Default;
        Estimator = estimator is not null && estimator.Catalog == Catalog && estimator.Tokens == Tokens ? estimator : new CostEstimator(Catalog, Tokens, estimator?.DefaultMaxOutputTokens ?? 4096);
        Ledger = ledger;
        Time = time ?? TimeProvider.System;
        Sinks = sinks as ICostSink[] ?? sinks?.ToArray() ?? [];
    }

    /// <summary>Gets the defaults: built-in prices, the tiktoken estimator, the system clock, no ledger and no sinks.</summary>
    public static GovernanceServices Default { get; } = new();

    public PriceCatalog Catalog { get; }

    public ITokenEstimator Tokens { get; }

    public CostEstimator Estimator { get; }

    public IBudgetLedger? Ledger { get; }

    public TimeProvider Time { get; }

    public ICostSink[] Sinks { get; }

    /// <summary>Resolves the services for a layer being built over <paramref name="inner"/>.</summary>
    public static GovernanceServices Resolve(IServiceProvider services, IChatClient inner, PriceCatalog? catalog = null, IBudgetLedger? ledger = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(inner);
        var estimator = services.GetService<CostEstimator>();
        var resolvedCatalog = catalog ?? inner.GetService<PriceCatalog>() ?? services.GetService<PriceCatalog>() ?? PriceCatalog.BuiltIn;
        var tokens = services.GetService<ITokenEstimator>() ?? TiktokenTokenEstimator.Default;
        return new GovernanceServices(
            resolvedCatalog,
            tokens,
            ledger ?? inner.GetService<IBudgetLedger>() ?? services.GetService<IBudgetLedger>(),
            services.GetService<TimeProvider>(),
            services.GetService<IEnumerable<ICostSink>>(),
            estimator);
    }
}
