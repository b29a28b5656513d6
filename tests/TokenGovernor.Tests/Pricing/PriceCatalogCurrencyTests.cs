using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace TokenGovernor.Tests.Pricing;

/// <summary>The built-in catalog's date, its staleness warning, and real ids as providers, clouds and resellers spell them.</summary>
public class PriceCatalogCurrencyTests
{
    [Fact]
    public void AsOf_BuiltIn_IsTheGenAiPricesReleaseDate() =>
        Assert.Equal(new DateOnly(2026, 9, 23), PriceCatalog.BuiltIn.AsOf);

    [Fact]
    public void WarnIfStale_OlderThanLimit_LogsOnceAndReportsStale()
    {
        var catalog = new PriceCatalogBuilder().AddBuiltIn().SetStaleAfterDays(30).Build();
        var logger = new CountingLogger();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.True(catalog.WarnIfStale(logger, clock));
        Assert.True(catalog.WarnIfStale(logger, clock));

        Assert.Equal(1, logger.Warnings);
        Assert.Equal(69, (int)catalog.GetAge(clock)!.Value.TotalDays);
    }

    [Fact]
    public void WarnIfStale_DefaultNinetyDaysNotReached_DoesNotLog()
    {
        var catalog = new PriceCatalogBuilder().AddBuiltIn().Build();
        var logger = new CountingLogger();

        Assert.False(catalog.WarnIfStale(logger, new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero))));
        Assert.Equal(0, logger.Warnings);
        Assert.Equal(90, catalog.StaleAfterDays);
    }

    [Theory]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("claude-haiku-4-5-20251001", "claude-haiku-4-5")]
    [InlineData("claude-sonnet-4-6", "claude-sonnet-4-6")]
    [InlineData("models/gemini-2.5-flash", "gemini-2.5-flash")]
    [InlineData("vertex_ai/gemini-2.5-pro", "gemini-2.5-pro")]
    [InlineData("gemini-3-pro-preview", "gemini-3-pro-preview")]
    [InlineData("gpt-oss-120b", "gpt-oss-120b")]
    [InlineData("azure/gpt-4o", "azure/gpt-4o")]
    [InlineData("eu.anthropic.claude-sonnet-4-5-20250929-v1:0", "aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0")]
    [InlineData("z-ai/glm-4.6", "openrouter/z-ai/glm-4.6")]
    [InlineData("grok-4", "grok-4-0709")]
    [InlineData("mistral-small-2506", "mistral-small-latest")]
    [InlineData("together_ai/deepseek-ai/DeepSeek-R1", "together_ai/deepseek-ai/DeepSeek-R1")]
    public void TryGetPrice_RealIds_ResolveToTheirProvidersPrice(string id, string expected)
    {
        Assert.True(PriceCatalog.BuiltIn.TryGetPrice(id, out var price), id);
        Assert.Equal(expected, price.ModelId);
    }

    [Fact]
    public void SuggestModelIds_Misspelling_ReturnsTheIntendedModelFirst() =>
        Assert.Equal("claude-sonnet-4-5", PriceCatalog.BuiltIn.SuggestModelIds("claude-sonet-4-5")[0]);

    [Fact]
    public void WriteJson_BuiltIn_ReadsBackWithTheSamePrices()
    {
        using var stream = new MemoryStream();
        PriceCatalog.BuiltIn.WriteJson(stream);
        stream.Position = 0;

        var copy = new PriceCatalogBuilder().AddTokenGovernorJson(stream, "copy").Build();
        var usage = new TokenUsage(250_000, 10_000, 5_000, 1_000, 2_000) { CacheWrite1hTokens = 2_000, WebSearchCalls = 1 };

        Assert.Equal(PriceCatalog.BuiltIn.Models.Count, copy.Models.Count);
        foreach (var m in PriceCatalog.BuiltIn.Models)
        {
            var other = copy.GetPrice(m.ModelId);
            Assert.Equal(CostCalculator.Calculate(usage, m).Total, CostCalculator.Calculate(usage, other).Total);
            Assert.Equal(CostCalculator.CalculateAt(usage, m, "batch", new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)).Total,
                CostCalculator.CalculateAt(usage, other, "batch", new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)).Total);
        }

        Assert.Equal("claude-sonnet-4-5", copy.GetPrice("claude-sonnet-4-5-20250929").ModelId);
    }

    private sealed class CountingLogger : ILogger
    {
        public int Warnings { get; private set; }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel == LogLevel.Warning)
            {
                Warnings++;
            }
        }
    }
}
