using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenGovernor;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="BudgetChatClient"/> to a chat client pipeline.</summary>
public static class BudgetChatClientBuilderExtensions
{
    /// <summary>
    /// Adds budget enforcement with the degradation ladder. Put it after routing and caching and before
    /// <c>UseCostMetering()</c>, which it reads real costs from. The ledger comes from <paramref name="ledger"/>, else from DI
    /// (<c>AddTokenGovernor</c> registers an in-memory ledger with the configured policies).
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="ledger">The ledger; overrides the one in DI.</param>
    /// <param name="configure">Configures the options; they are validated here.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The configured options are invalid.</exception>
    public static ChatClientBuilder UseBudgets(this ChatClientBuilder builder, IBudgetLedger? ledger = null, Action<BudgetOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new BudgetOptions();
        configure?.Invoke(options);
        OptionsValidation.ThrowIfInvalid(new BudgetOptionsValidator(), options);

        return builder.Use((inner, services) =>
        {
            var resolvedLedger = ledger ?? services.GetService<IBudgetLedger>()
                ?? throw new InvalidOperationException(
                    "UseBudgets needs an IBudgetLedger: pass one (new InMemoryBudgetLedger(policies)) or call services.AddTokenGovernor(...) with budget policies.");
            var estimator = services.GetService<CostEstimator>() ?? new CostEstimator(
                services.GetService<PriceCatalog>() ?? PriceCatalog.BuiltIn,
                services.GetService<ITokenEstimator>() ?? TiktokenTokenEstimator.Default);
            return new BudgetChatClient(inner, resolvedLedger, estimator, options, services.GetService<TimeProvider>(),
                services.GetService<ILoggerFactory>()?.CreateLogger(typeof(BudgetChatClient)),
                services.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        });
    }
}
