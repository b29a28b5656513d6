using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using TokenGovernor;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Writes every governed call to a spend store.</summary>
public static class SpendStoreTokenGovernorBuilderExtensions
{
    /// <summary>
    /// Registers <paramref name="store"/> as the <see cref="ISpendStore"/> and a <see cref="SpendStoreSink"/> among the
    /// <see cref="ICostSink"/>s, so every metered call and cache hit is written to it in batches, off the request path. The container
    /// disposes the sink at shutdown, which writes what is still queued. Options are validated here.
    /// </summary>
    /// <param name="builder">The builder from <c>AddTokenGovernor</c>.</param>
    /// <param name="store">Creates the store (once, as a singleton).</param>
    /// <param name="configure">Tunes batching and retries.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is invalid.</exception>
    public static TokenGovernorBuilder UseSpendStore(this TokenGovernorBuilder builder, Func<IServiceProvider, ISpendStore> store, Action<SpendStoreSinkOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(store);
        var options = new SpendStoreSinkOptions();
        configure?.Invoke(options);
        OptionsValidation.ThrowIfInvalid(new SpendStoreSinkOptionsValidator(), options);
        var services = builder.Services;
        services.Replace(ServiceDescriptor.Singleton(store));
        services.TryAddSingleton(sp => new SpendStoreSink(
            sp.GetRequiredService<ISpendStore>(), options, sp.GetService<TimeProvider>(), sp.GetService<ILoggerFactory>()?.CreateLogger<SpendStoreSink>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICostSink, SpendStoreSinkRegistration>());
        return builder;
    }
}
