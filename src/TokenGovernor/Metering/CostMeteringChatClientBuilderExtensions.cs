using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenGovernor;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="CostMeteringChatClient"/> to a chat client pipeline.</summary>
public static class CostMeteringChatClientBuilderExtensions
{
    /// <summary>
    /// Adds cost metering. Put it last (innermost), so it sits directly above the provider and meters every round trip.
    /// Services are resolved from the pipeline's <see cref="IServiceProvider"/> when present: <see cref="PriceCatalog"/>
    /// (else <see cref="PriceCatalog.BuiltIn"/>), <see cref="ITokenEstimator"/>, every <see cref="ICostSink"/>,
    /// <see cref="TimeProvider"/>, <see cref="ILoggerFactory"/> and <see cref="IMeterFactory"/>.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="catalog">The prices; overrides the one in DI.</param>
    /// <param name="configure">Configures the options; they are validated here, when the pipeline is configured.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The configured options are invalid.</exception>
    public static ChatClientBuilder UseCostMetering(this ChatClientBuilder builder, PriceCatalog? catalog = null, Action<CostMeteringOptions>? configure = null) =>
        builder.UseCostMetering(configure, (services, inner) => GovernanceServices.Resolve(services, inner, catalog));

    internal static ChatClientBuilder UseCostMetering(this ChatClientBuilder builder, Action<CostMeteringOptions>? configure, Func<IServiceProvider, IChatClient, GovernanceServices> resolve)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new CostMeteringOptions();
        configure?.Invoke(options);
        OptionsValidation.ThrowIfInvalid(new CostMeteringOptionsValidator(), options);

        return builder.Use((inner, services) =>
        {
            var shared = resolve(services, inner);
            return new CostMeteringChatClient(
                inner,
                shared.Catalog,
                options,
                shared.Sinks,
                shared.Tokens,
                shared.Time,
                services.GetService<ILoggerFactory>()?.CreateLogger(typeof(CostMeteringChatClient)),
                services.GetService<IMeterFactory>());
        });
    }
}
