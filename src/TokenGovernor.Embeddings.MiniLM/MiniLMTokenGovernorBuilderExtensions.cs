using Microsoft.Extensions.DependencyInjection;
using TokenGovernor.Embeddings.MiniLM;

namespace TokenGovernor;

/// <summary>Registers the local MiniLM embedder for TokenGovernor's semantic cache.</summary>
public static class MiniLMTokenGovernorBuilderExtensions
{
    /// <summary>
    /// Registers one <see cref="MiniLMEmbeddingGenerator"/> (a singleton, created on first use, disposed with the provider) as the
    /// semantic cache's embedder, under <see cref="TokenGovernorServiceKeys.EmbeddingGenerator"/>. The app's own embedders are
    /// untouched and never used by the cache. Options are validated here.
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddTokenGovernor</c>.</param>
    /// <param name="configure">Configures the embedder.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public static TokenGovernorBuilder AddLocalEmbeddings(this TokenGovernorBuilder builder, Action<MiniLMEmbeddingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new MiniLMEmbeddingOptions();
        configure?.Invoke(options);
        MiniLMEmbeddingOptionsValidator.ThrowIfInvalid(options);
        builder.Services.AddKeyedSingleton(TokenGovernorServiceKeys.EmbeddingGenerator, (services, _) =>
        {
            var configured = options.Clone();
            if (ReferenceEquals(configured.TimeProvider, TimeProvider.System) && services.GetService<TimeProvider>() is { } clock)
            {
                configured.TimeProvider = clock;
            }

            return (Microsoft.Extensions.AI.IEmbeddingGenerator<string, Microsoft.Extensions.AI.Embedding<float>>)new MiniLMEmbeddingGenerator(configured);
        });
        return builder;
    }
}
