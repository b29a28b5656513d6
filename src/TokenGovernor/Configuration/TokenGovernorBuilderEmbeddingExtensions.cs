using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace TokenGovernor;

/// <summary>Gives TokenGovernor's semantic cache an embedder of its own.</summary>
public static class TokenGovernorBuilderEmbeddingExtensions
{
    /// <summary>
    /// Registers the embedder the semantic cache uses (under <see cref="TokenGovernorServiceKeys.EmbeddingGenerator"/>), built
    /// once from the service provider. The app's own unkeyed embedder, if any, is never used by TokenGovernor.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="factory">Creates the embedder.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TokenGovernorBuilder AddEmbeddingGenerator(this TokenGovernorBuilder builder,
        Func<IServiceProvider, IEmbeddingGenerator<string, Embedding<float>>> factory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(factory);
        builder.Services.AddKeyedSingleton(TokenGovernorServiceKeys.EmbeddingGenerator, (services, _) => factory(services));
        return builder;
    }
}
