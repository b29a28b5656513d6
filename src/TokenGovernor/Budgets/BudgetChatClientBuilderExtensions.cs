using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
    public static ChatClientBuilder UseBudgets(this ChatClientBuilder builder, IBudgetLedger? ledger = null, Action<BudgetOptions>? configure = null) =>
        builder.UseBudgets(configure, (services, inner) => GovernanceServices.Resolve(services, inner, ledger: ledger));

    /// <summary>Adds budget enforcement with the degradation ladder, on the ledger in DI (see <see cref="UseBudgets(ChatClientBuilder, IBudgetLedger, Action{BudgetOptions})"/>).</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="configure">Configures the options; they are validated here.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The configured options are invalid.</exception>
    public static ChatClientBuilder UseBudgets(this ChatClientBuilder builder, Action<BudgetOptions> configure) => builder.UseBudgets(null, configure);

    internal static ChatClientBuilder UseBudgets(this ChatClientBuilder builder, Action<BudgetOptions>? configure, Func<IServiceProvider, IChatClient, GovernanceServices> resolve)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new BudgetOptions();
        configure?.Invoke(options);
        OptionsValidation.ThrowIfInvalid(new BudgetOptionsValidator(), options);

        return builder.Use((inner, services) =>
        {
            // Configuration (TokenGovernor:Budgets:UnscopedCalls) first, then the code's configure, which wins.
            var effective = options;
            if (services.GetService<IOptions<TokenGovernorOptions>>()?.Value is { } configured &&
                (configured.UnscopedCalls != UnscopedCallHandling.Allow || configured.DefaultScopeKey != "default"))
            {
                effective = new BudgetOptions { UnscopedCalls = configured.UnscopedCalls, DefaultScopeKey = configured.DefaultScopeKey };
                configure?.Invoke(effective);
                OptionsValidation.ThrowIfInvalid(new BudgetOptionsValidator(), effective);
            }

            // The reservation is priced with the catalog that settles it: the one the metering layer below uses.
            var shared = resolve(services, inner);
            var ledger = shared.Ledger
                ?? throw new InvalidOperationException(
                    "UseBudgets needs an IBudgetLedger: pass one (new InMemoryBudgetLedger(policies)) or call services.AddTokenGovernor(...) with budget policies.");
            return new BudgetChatClient(inner, ledger, shared.Estimator, effective, shared.Time,
                services.GetService<ILoggerFactory>()?.CreateLogger(typeof(BudgetChatClient)),
                services.GetService<System.Diagnostics.Metrics.IMeterFactory>())
                .WithAlerts([.. services.GetService<IEnumerable<IBudgetAlertSink>>() ?? []]);
        });
    }
}
