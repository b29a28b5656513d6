using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Pricing;

/// <summary><c>TokenGovernor:PriceCatalogStaleAfterDays</c>: bound, validated at start-up, and used by metering's one warning.</summary>
public class PriceCatalogStalenessConfigurationTests
{
    // The built-in catalog is dated 2026-09-23; on 2026-12-01 it is 69 days old.
    private static readonly DateTimeOffset s_now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void AddTokenGovernor_StaleAfterDaysConfigured_SetsCatalogThreshold()
    {
        using var provider = Build("30", new WarningCounter());

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(30, provider.GetRequiredService<PriceCatalog>().StaleAfterDays);
    }

    [Fact]
    public void AddTokenGovernor_StaleAfterDaysNotConfigured_DefaultsToNinety()
    {
        using var provider = Build(null, new WarningCounter());

        Assert.Equal(PriceCatalog.DefaultStaleAfterDays, provider.GetRequiredService<PriceCatalog>().StaleAfterDays);
    }

    [Fact]
    public void AddTokenGovernor_StaleAfterDaysZero_FailsAtStartupNamingSetting()
    {
        using var provider = Build("0", new WarningCounter());

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains(nameof(TokenGovernorOptions.PriceCatalogStaleAfterDays), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseCostMetering_CatalogOlderThanConfiguredDays_WarnsOnce()
    {
        var warnings = new WarningCounter();
        using var provider = Build("30", warnings);

        using var first = new ChatClientBuilder(new TestChatClient()).UseCostMetering().Build(provider);
        using var second = new ChatClientBuilder(new TestChatClient()).UseCostMetering().Build(provider);

        Assert.Equal(1, warnings.Stale);
    }

    [Fact]
    public void UseCostMetering_CatalogYoungerThanConfiguredDays_DoesNotWarn()
    {
        var warnings = new WarningCounter();
        using var provider = Build("100", warnings);

        using var client = new ChatClientBuilder(new TestChatClient()).UseCostMetering().Build(provider);

        Assert.Equal(0, warnings.Stale);
    }

    private static ServiceProvider Build(string? staleAfterDays, WarningCounter warnings)
    {
        var settings = new Dictionary<string, string?>();
        if (staleAfterDays is not null)
        {
            settings["TokenGovernor:PriceCatalogStaleAfterDays"] = staleAfterDays;
        }

        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(s_now));
        services.AddLogging(b => b.AddProvider(warnings));
        services.AddTokenGovernor(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        return services.BuildServiceProvider();
    }

    private sealed class WarningCounter : ILoggerProvider, ILogger
    {
        private int _stale;

        public int Stale => Volatile.Read(ref _stale);

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning && eventId.Name == "PriceCatalogStale")
            {
                Interlocked.Increment(ref _stale);
            }
        }

        public void Dispose()
        {
        }
    }
}
