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
    /// the host starts (or, without a host, when the ledger or a shared cache is first built), with a connect timeout of at most
    /// <see cref="MaxConnectTimeout"/>; none of TokenGovernor's services waits for it, so building the pipeline and resolving
    /// <see cref="Microsoft.Extensions.AI.IChatClient"/> never block on Redis. When Redis is down at start-up the connection keeps
    /// retrying in the background; each ledger call waits at most <see cref="RedisBudgetLedgerOptions.OperationTimeout"/> before
    /// the failure policy applies, and each cache operation waits at most the same timeout and then counts as a miss or a skipped
    /// write (see <see cref="RedisGovernanceOptions.ShareExactCache"/>).
    /// </summary>
    /// <remarks>
    /// The connection is also registered as <see cref="IConnectionMultiplexer"/>, for the app's own use (TokenGovernor never
    /// resolves it). Resolving that service waits for the connect to finish, which against a Redis that accepts connections but
    /// never answers takes several connect timeouts; prefer <see cref="UseRedis(TokenGovernorBuilder, IConnectionMultiplexer, Action{RedisGovernanceOptions})"/>
    /// with a connection the app opens itself.
    /// </remarks>
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

        // One timeout and one back-off for every Redis operation, ledger and caches.
        var timeout = options.Ledger.OperationTimeout;
        var retryInterval = options.Ledger.RetryInterval;
        options.SemanticCache.OperationTimeout = timeout;
        options.SemanticCache.RetryInterval = retryInterval;
        RedisOptionsValidation.Validate(options.SemanticCache);

        var services = builder.Services;
        services.AddHostedService<RedisConnectionStarter>();

        // The caches' gate: bounds each cache operation and turns a failure into a miss or a skipped write; shared by the exact
        // and the semantic cache, so an outage is detected, backed off from and logged once for both.
        services.TryAddSingleton(sp => new RedisCacheGate(
            sp.GetRequiredService<RedisConnectionSource>(),
            timeout,
            retryInterval,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger("TokenGovernor.Redis.SharedCaches"),
            sp.GetService<IMeterFactory>()));

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
            // Keyed, so the app's own IDistributedCache (if any) is left alone. The gate hands RedisCache a call only once the
            // connection is open, bounds it, and turns a failure into a miss or a skipped write. RedisCache closes the connection it
            // is given when disposed; the wrapper is not disposable, so the shared connection stays the owner's to close.
            services.TryAddKeyedSingleton<IDistributedCache>(ResponseCacheOptions.DistributedCacheServiceKey, (sp, _) => new RedisExactCache(
                new RedisCache(Options.Options.Create(new RedisCacheOptions
                {
                    InstanceName = "{" + options.KeyPrefix + "}:exact:",
                    ConnectionMultiplexerFactory = () => sp.GetRequiredService<RedisConnectionSource>().ConnectAsync(),
                })),
                sp.GetRequiredService<RedisCacheGate>()));
        }

        if (options.ShareSemanticCache)
        {
            services.TryAddSingleton<ISemanticCacheReplicator>(sp => new RedisSemanticCacheReplicator(
                sp.GetRequiredService<RedisConnectionSource>(), // never the blocking IConnectionMultiplexer registration
                sp.GetRequiredService<RedisCacheGate>(),
                options.SemanticCache,
                sp.GetService<TimeProvider>(),
                sp.GetService<ILoggerFactory>()?.CreateLogger<RedisSemanticCacheReplicator>()));
        }

        return builder;
    }
}
