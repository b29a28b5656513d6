using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TokenGovernor;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="ResponseCacheChatClient"/> to a chat client pipeline.</summary>
public static class ResponseCacheChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the exact response cache (and the semantic cache when <see cref="ResponseCacheOptions.EnableSemantic"/> is set).
    /// Put it above routing and budgets so a hit costs no reservation. The exact store is the <see cref="IDistributedCache"/>
    /// in DI when there is one, else a private in-memory cache.
    /// </summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="configure">Configures the options; they are validated here.</param>
    /// <param name="embeddingGenerator">The semantic cache's embedder; defaults to the one registered for TokenGovernor (<see cref="TokenGovernorServiceKeys.EmbeddingGenerator"/>; never the app's own unkeyed one), else <see cref="HashingEmbeddingGenerator"/>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseResponseCache(this ChatClientBuilder builder, Action<ResponseCacheOptions>? configure = null,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null) =>
        builder.UseResponseCache(configure, embeddingGenerator, (services, inner) => GovernanceServices.Resolve(services, inner));

    internal static ChatClientBuilder UseResponseCache(this ChatClientBuilder builder, Action<ResponseCacheOptions>? configure,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator, Func<IServiceProvider, IChatClient, GovernanceServices> resolve)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new ResponseCacheOptions();
        configure?.Invoke(options);
        OptionsValidation.ThrowIfInvalid(new ResponseCacheOptionsValidator(), options);

        return builder.Use((inner, services) =>
        {
            var shared = resolve(services, inner);
            return new ResponseCacheChatClient(
                inner,
                options,
                services.GetKeyedService<IDistributedCache>(ResponseCacheOptions.DistributedCacheServiceKey) ?? services.GetService<IDistributedCache>(),
                memoryCache: null, // a private cache sized by ResponseCacheOptions, never the app's shared IMemoryCache
                embeddingGenerator ?? services.GetKeyedService<IEmbeddingGenerator<string, Embedding<float>>>(TokenGovernorServiceKeys.EmbeddingGenerator),
                shared.Catalog,
                shared.Sinks,
                shared.Time,
                services.GetService<ILoggerFactory>()?.CreateLogger(typeof(ResponseCacheChatClient)),
                services.GetService<IMeterFactory>(),
                services.GetService<ISemanticCacheReplicator>());
        });
    }

    /// <summary>Adds the exact and the semantic response cache (see <see cref="UseResponseCache(ChatClientBuilder, Action{ResponseCacheOptions}, IEmbeddingGenerator{string, Embedding{float}})"/>).</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="embeddingGenerator">The embedder; defaults to the one registered for TokenGovernor (<see cref="TokenGovernorServiceKeys.EmbeddingGenerator"/>), else <see cref="HashingEmbeddingGenerator"/> (lexical).</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseSemanticCache(this ChatClientBuilder builder, IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null,
        Action<ResponseCacheOptions>? configure = null) =>
        builder.UseResponseCache(o =>
        {
            o.EnableSemantic = true;
            configure?.Invoke(o);
        }, embeddingGenerator);

    /// <summary>Adds the exact and the semantic response cache with the embedder TokenGovernor resolves (see <see cref="UseSemanticCache(ChatClientBuilder, IEmbeddingGenerator{string, Embedding{float}}, Action{ResponseCacheOptions})"/>).</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="configure">Configures the options.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseSemanticCache(this ChatClientBuilder builder, Action<ResponseCacheOptions> configure) => builder.UseSemanticCache(null, configure);
}
