using System.Diagnostics.Metrics;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using TokenGovernor;
using TokenGovernor.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Moves TokenGovernor's shared state to Redis so that many app instances keep one budget and share caches.</summary>
public static class RedisTokenGovernorBuilderExtensions
{
    /// <summary>
    /// Keeps budgets, the exact response cache and semantic-cache entries in Redis. The connection is opened asynchronously when
    /// the host starts (or when the ledger is first built, without a host), with a connect timeout of at most
    /// <see cref="MaxConnectTimeout"/>; nothing waits for it synchronously. When Redis is down at start-up the connection keeps
    /// retrying in the background, and each ledger call waits at most <see cref="RedisBudgetLedgerOptions.OperationTimeout"/>
    /// before the failure policy applies.
    /// </summary>
    /// <param name="builder">The builder from <c>AddTokenGovernor</c>.</param>
    /// <param name="connectionString">A StackExchange.Redis configuration string, such as <c>localhost:6379</c>.</param>
    /// <param name="configure">Chooses what is shared and tunes the ledger.</param>
    /// <returns>The builder.</returns>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "The overloads differ in the type of a required parameter (a string or a connection), so calls are never ambiguous; M.E.AI's UseXxx extensions follow the same shape.")]
    public static TokenGovernorBuilder UseRedis(this TokenGovernorBuilder builder, string connectionString, Action<RedisGovernanceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var config = ConfigurationOptions.Parse(connectionString);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = Math.Min(config.ConnectTimeout, (int)MaxConnectTimeout.TotalMilliseconds);
        builder.Services.TryAddSingleton(_ => RedisConnectionSource.Open(config.Clone())); // owned (disposed) by the container
        builder.Services.TryAddSingleton(sp => sp.GetRequiredService<RedisConnectionSource>().ConnectAsync().GetAwaiter().GetResult());
        return builder.UseRedisCore(configure);
    }

    /// <summary>The longest a connection opened from a connection string tries one connect before it retries in the background.</summary>
    public static TimeSpan MaxConnectTimeout { get; } = TimeSpan.FromSeconds(5);

    /// <summary>Keeps budgets, the exact response cache and semantic-cache entries in Redis, through a connection the app owns.</summary>
    /// <param name="builder">The builder from <c>AddTokenGovernor</c>.</param>
    /// <param name="connection">The connection; the app disposes it.</param>
    /// <param name="configure">Chooses what is shared and tunes the ledger.</param>
    /// <returns>The builder.</returns>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters",
        Justification = "The overloads differ in the type of a required parameter (a string or a connection), so calls are never ambiguous; M.E.AI's UseXxx extensions follow the same shape.")]
    public static TokenGovernorBuilder UseRedis(this TokenGovernorBuilder builder, IConnectionMultiplexer connection, Action<RedisGovernanceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(connection);
        builder.Services.TryAddSingleton(connection); // an instance registration: the container never disposes the app's connection
        builder.Services.TryAddSingleton(_ => RedisConnectionSource.Existing(connection));
        return builder.UseRedisCore(configure);
    }

    private static TokenGovernorBuilder UseRedisCore(this TokenGovernorBuilder builder, Action<RedisGovernanceOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new RedisGovernanceOptions();
        configure?.Invoke(options);
        options.Ledger.KeyPrefix = options.KeyPrefix;
        options.SemanticCache.KeyPrefix = options.KeyPrefix;
        RedisOptionsValidation.Validate(options.Ledger);
        RedisOptionsValidation.Validate(options.SemanticCache);

        var services = builder.Services;
        services.AddHostedService<RedisConnectionStarter>();

        if (options.ShareBudgets)
        {
            services.Replace(ServiceDescriptor.Singleton<IBudgetLedger>(sp => new RedisBudgetLedger(
                sp.GetRequiredService<RedisConnectionSource>(),
                sp.GetRequiredService<ConfiguredBudgetPolicies>().Policies,
                options.Ledger,
                sp.GetService<TimeProvider>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger<RedisBudgetLedger>(),
                sp.GetService<IMeterFactory>())));
        }

        if (options.ShareExactCache)
        {
            // Keyed, so the app's own IDistributedCache (if any) is left alone. RedisCache closes the connection it is given when
            // disposed; the wrapper keeps the container from disposing it, so the shared connection stays the owner's to close.
            services.TryAddKeyedSingleton<IDistributedCache>(ResponseCacheOptions.DistributedCacheServiceKey, (sp, _) => new NonOwningDistributedCache(
                new RedisCache(Options.Options.Create(new RedisCacheOptions
                {
                    InstanceName = "{" + options.KeyPrefix + "}:exact:",
                    ConnectionMultiplexerFactory = () => sp.GetRequiredService<RedisConnectionSource>().ConnectAsync(),
                }))));
        }

        if (options.ShareSemanticCache)
        {
            services.TryAddSingleton<ISemanticCacheReplicator>(sp => new RedisSemanticCacheReplicator(
                sp.GetRequiredService<IConnectionMultiplexer>(),
                options.SemanticCache,
                sp.GetService<TimeProvider>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger<RedisSemanticCacheReplicator>()));
        }

        return builder;
    }
}
