using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TokenGovernor;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers TokenGovernor's shared services.</summary>
public static class TokenGovernorServiceCollectionExtensions
{
    /// <summary>
    /// Registers the price catalog, token estimator, cost estimator, in-memory cost aggregator and a <see cref="TimeProvider"/>,
    /// with <see cref="TokenGovernorOptions"/> bound from the <c>TokenGovernor</c> section of <paramref name="configuration"/> and
    /// validated when the host starts (a bad setting fails start-up with a message that names it). Then build chat clients with
    /// <c>services.AddChatClient(inner).UseTokenGovernor()</c>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The application's configuration root (its <c>TokenGovernor</c> section is read), or <see langword="null"/>.</param>
    /// <param name="configure">Configures the options in code, after configuration.</param>
    /// <returns>A builder for further TokenGovernor registrations.</returns>
    public static TokenGovernorBuilder AddTokenGovernor(this IServiceCollection services, IConfiguration? configuration = null, Action<TokenGovernorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var section = configuration?.GetSection(TokenGovernorOptions.SectionName);

        var optionsBuilder = services.AddOptions<TokenGovernorOptions>();
        if (section is not null)
        {
            optionsBuilder.Configure(o => ReadConfiguration(o, section));
        }

        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        optionsBuilder.ValidateOnStart();
        services.AddSingleton<IValidateOptions<TokenGovernorOptions>>(sp => new TokenGovernorOptionsValidator(
            section, sp.GetServices<TokenGovernorConfigurationSection>(), sp.GetService<ILoggerFactory>()?.CreateLogger(typeof(TokenGovernorOptions))));

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => PriceCatalogFactory.Create(
            sp.GetRequiredService<IOptions<TokenGovernorOptions>>().Value,
            section,
            sp.GetService<ILoggerFactory>()?.CreateLogger(typeof(PriceCatalog))));
        services.TryAddSingleton<ITokenEstimator>(sp => new TiktokenTokenEstimator(new TokenEstimatorOptions
        {
            MessageCacheCapacity = sp.GetRequiredService<IOptions<TokenGovernorOptions>>().Value.MessageCacheCapacity,
        }));
        services.TryAddSingleton(sp => new CostEstimator(
            sp.GetRequiredService<PriceCatalog>(),
            sp.GetRequiredService<ITokenEstimator>(),
            sp.GetRequiredService<IOptions<TokenGovernorOptions>>().Value.DefaultMaxOutputTokens));
        services.TryAddSingleton(sp => new ConfiguredBudgetPolicies(
            PriceCatalogFactory.BudgetPolicies(sp.GetRequiredService<IOptions<TokenGovernorOptions>>().Value, section)));
        services.TryAddSingleton(sp =>
        {
            _ = sp.GetRequiredService<IOptions<TokenGovernorOptions>>().Value; // validated first, so a bad tier fails with the other settings
            return ConfiguredRoutingTiers.Read(section);
        });
        services.TryAddSingleton<IBudgetLedger>(sp =>
        {
            var options = sp.GetRequiredService<IOptions<TokenGovernorOptions>>().Value;
            return new InMemoryBudgetLedger(
                sp.GetRequiredService<ConfiguredBudgetPolicies>().Policies,
                new BudgetLedgerOptions { ReservationLease = options.ReservationLease },
                sp.GetService<TimeProvider>());
        });
        services.TryAddSingleton<InMemoryCostAggregator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICostSink, InMemoryCostAggregatorSink>());
        services.TryAddSingleton<OutcomeTracker>();
        services.TryAddSingleton<RoutingSavingsTracker>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICostSink, OutcomeTrackerSink>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICostSink, BudgetUtilizationGauge>(sp => new BudgetUtilizationGauge(sp.GetRequiredService<IBudgetLedger>(), sp.GetService<System.Diagnostics.Metrics.IMeterFactory>())));
        services.TryAddSingleton(sp => new Governor(
            sp.GetRequiredService<IBudgetLedger>(), sp.GetRequiredService<InMemoryCostAggregator>(), sp.GetRequiredService<PriceCatalog>(),
            sp.GetRequiredService<OutcomeTracker>()));
        return new TokenGovernorBuilder(services);
    }

    private static void ReadConfiguration(TokenGovernorOptions o, IConfigurationSection section)
    {
        if (section[nameof(o.UnknownModelPolicy)] is { } policy)
        {
            o.UnknownModelPolicy = Enum.TryParse<UnknownModelPolicy>(policy, ignoreCase: true, out var p) && Enum.IsDefined(p)
                ? p
                : throw new FormatException($"Configuration key '{section.Path}:{nameof(o.UnknownModelPolicy)}' has value '{policy}'; use Throw, UseFallbackPrice or Zero.");
        }

        if (section[nameof(o.UnknownKeys)] is { } unknownKeys)
        {
            o.UnknownKeys = Enum.TryParse<UnknownConfigurationKeyHandling>(unknownKeys, ignoreCase: true, out var u) && Enum.IsDefined(u)
                ? u
                : throw new FormatException($"Configuration key '{section.Path}:{nameof(o.UnknownKeys)}' has value '{unknownKeys}'; use Fail or Warn.");
        }

        var budgets = section.GetSection(nameof(o.Budgets));
        if (budgets[nameof(o.UnscopedCalls)] is { } unscoped)
        {
            o.UnscopedCalls = Enum.TryParse<UnscopedCallHandling>(unscoped, ignoreCase: true, out var h) && Enum.IsDefined(h)
                ? h
                : throw new FormatException($"Configuration key '{budgets.Path}:{nameof(o.UnscopedCalls)}' has value '{unscoped}'; use Allow, Refuse or AssignDefault.");
        }

        if (budgets[nameof(o.DefaultScopeKey)] is { } defaultKey)
        {
            o.DefaultScopeKey = !string.IsNullOrWhiteSpace(defaultKey)
                ? defaultKey
                : throw new FormatException($"Configuration key '{budgets.Path}:{nameof(o.DefaultScopeKey)}' is empty; give the key unscoped calls are counted against, such as 'default'.");
        }

        o.FallbackModelId = section[nameof(o.FallbackModelId)] ?? o.FallbackModelId;
        o.DefaultModelId = section[nameof(o.DefaultModelId)] ?? o.DefaultModelId;
        if (section[nameof(o.IncludeBuiltInPrices)] is { } builtIn)
        {
            o.IncludeBuiltInPrices = bool.TryParse(builtIn, out var b)
                ? b
                : throw new FormatException($"Configuration key '{section.Path}:{nameof(o.IncludeBuiltInPrices)}' has value '{builtIn}'; use true or false.");
        }

        o.DefaultMaxOutputTokens = ReadInt(section, nameof(o.DefaultMaxOutputTokens)) ?? o.DefaultMaxOutputTokens;
        o.MessageCacheCapacity = ReadInt(section, nameof(o.MessageCacheCapacity)) ?? o.MessageCacheCapacity;
        o.PriceCatalogStaleAfterDays = ReadInt(section, nameof(o.PriceCatalogStaleAfterDays)) ?? o.PriceCatalogStaleAfterDays;
        if (section[nameof(o.ReservationLease)] is { } lease)
        {
            o.ReservationLease = TimeSpan.TryParse(lease, CultureInfo.InvariantCulture, out var l)
                ? l
                : throw new FormatException($"Configuration key '{section.Path}:{nameof(o.ReservationLease)}' has value '{lease}'; use a time span such as '00:10:00'.");
        }
        foreach (var file in section.GetSection(nameof(o.PriceFiles)).GetChildren())
        {
            if (!string.IsNullOrWhiteSpace(file.Value))
            {
                o.PriceFiles.Add(file.Value);
            }
        }
    }

    private static int? ReadInt(IConfigurationSection section, string key) => section[key] is { } text
        ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"Configuration key '{section.Path}:{key}' has value '{text}'; it must be a whole number.")
        : null;
}
