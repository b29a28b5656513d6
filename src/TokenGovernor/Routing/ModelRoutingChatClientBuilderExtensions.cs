using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenGovernor;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="ModelRoutingChatClient"/> to a chat client pipeline.</summary>
public static class ModelRoutingChatClientBuilderExtensions
{
    /// <summary>Adds model routing by complexity tier. Put it after the cache and before <c>UseBudgets()</c> and <c>UseCostMetering()</c>,
    /// so every attempt is reserved and metered.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="configure">Configures the options (tiers, classifier, escalation, failover); they are validated here. Without
    /// tiers in code, those of configuration (<c>TokenGovernor:Routing:Tiers</c>) are used; with neither, building the client throws.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseModelRouting(this ChatClientBuilder builder, Action<RoutingOptions>? configure = null) =>
        builder.UseModelRouting(configure, (services, inner) => GovernanceServices.Resolve(services, inner));

    internal static ChatClientBuilder UseModelRouting(this ChatClientBuilder builder, Action<RoutingOptions>? configure, Func<IServiceProvider, IChatClient, GovernanceServices> resolve)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new RoutingOptions();
        configure?.Invoke(options);
        OptionsValidation.ThrowIfInvalid(new RoutingOptionsValidator(), options);
        return builder.Use((inner, services) =>
        {
            // The ledger for budget pressure is the one the budgets below really use (found through GetService), else DI's.
            var shared = resolve(services, inner);
            var effective = options;
            if (options.Tiers.Count == 0)
            {
                var configured = services.GetService<ConfiguredRoutingTiers>()?.Tiers ?? [];
                effective = configured.Count > 0
                    ? options.WithTiers(configured)
                    : throw new InvalidOperationException(ModelRoutingChatClient.NoTiersMessage);
            }

            return new ModelRoutingChatClient(inner, effective, shared.Catalog, shared.Tokens, shared.Ledger,
                services.GetService<RoutingSavingsTracker>(), shared.Time,
                services.GetService<ILoggerFactory>()?.CreateLogger(typeof(ModelRoutingChatClient)));
        });
    }
}
