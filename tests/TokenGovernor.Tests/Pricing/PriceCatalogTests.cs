using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace TokenGovernor.Tests.Pricing;

public class PriceCatalogTests
{
    [Fact]
    public void BuiltIn_Always_HasTwoThousandModelsWithSourceOriginAndDate()
    {
        var models = PriceCatalog.BuiltIn.Models;
        Assert.True(models.Count >= 2000, $"only {models.Count} models");
        Assert.All(models, m =>
        {
            Assert.False(string.IsNullOrWhiteSpace(m.Source), m.ModelId);
            Assert.False(string.IsNullOrWhiteSpace(m.Origin), m.ModelId);
            Assert.NotNull(m.AsOf);
            Assert.True(m.InputPerMillion >= 0 && m.OutputPerMillion >= 0, m.ModelId);
        });
    }

    [Theory]
    [InlineData("gpt-4o")]
    [InlineData("gpt-4o-mini")]
    [InlineData("gpt-4.1")]
    [InlineData("gpt-4.1-mini")]
    [InlineData("gpt-4.1-nano")]
    [InlineData("gpt-5")]
    [InlineData("gpt-5-mini")]
    [InlineData("o1")]
    [InlineData("o3")]
    [InlineData("o3-mini")]
    [InlineData("o4-mini")]
    [InlineData("claude-3-5-sonnet")]
    [InlineData("claude-sonnet-4")]
    [InlineData("claude-opus-4-1")]
    [InlineData("gemini-1.5-pro")]
    [InlineData("gemini-2.0-flash")]
    [InlineData("gemini-2.5-pro")]
    [InlineData("mistral-large")]
    [InlineData("deepseek-chat")]
    [InlineData("llama-3.3-70b-versatile")]
    [InlineData("Qwen/QwQ-32B")]
    public void BuiltIn_FamilyRequiredByTheIssue_IsPresent(string modelId) =>
        Assert.True(PriceCatalog.BuiltIn.TryGetPrice(modelId, out _), modelId);

    [Theory]
    [InlineData("openai/gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("GPT-4O", "gpt-4o")]
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("azure/gpt-4.1-2025-04-14", "azure/gpt-4.1-2025-04-14")]
    [InlineData("gpt-4-0613", "gpt-4")]
    [InlineData("claude-3-5-sonnet-20241022", "claude-3-5-sonnet")]
    [InlineData("claude-3-5-sonnet-latest", "claude-3-5-sonnet")]
    [InlineData("anthropic/claude-sonnet-4-20250514", "claude-sonnet-4-0")]
    [InlineData("claude-sonnet-4@20250514", "google/claude-4-sonnet")]
    [InlineData("us.anthropic.claude-sonnet-4-20250514-v1:0", "aws/regional.anthropic.claude-sonnet-4-20250514-v1:0")]
    [InlineData("gemini/gemini-2.5-pro", "gemini-2.5-pro")]
    [InlineData("gemini-1.5-pro-002", "gemini-1.5-pro")]
    [InlineData("mistral/mistral-large-latest", "mistral-large")]
    [InlineData("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo")]
    [InlineData("groq/qwen/qwen3-32b", "groq/qwen/qwen3-32b")]
    public void TryGetPrice_DecoratedId_ResolvesToBaseModel(string requested, string expected)
    {
        Assert.True(PriceCatalog.BuiltIn.TryGetPrice(requested, out var price));
        Assert.Equal(expected, price.ModelId);
    }

    [Theory]
    [InlineData("gpt-4o-mini-ultra-2099")]
    [InlineData("totally-unknown")]
    [InlineData("")]
    public void TryGetPrice_UnknownModel_ReturnsFalse(string modelId) =>
        Assert.False(PriceCatalog.BuiltIn.TryGetPrice(modelId, out _));

    [Fact]
    public void GetPrice_UnknownModelUnderThrow_NamesModelAndHowToAddPrice()
    {
        var ex = Assert.Throws<UnknownModelException>(() => PriceCatalog.BuiltIn.GetPrice("my-private-model"));
        Assert.Equal("my-private-model", ex.ModelId);
        Assert.Contains("'my-private-model'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("PriceCatalogBuilder.Add", ex.Message, StringComparison.Ordinal);
        Assert.Contains("UnknownModelPolicy", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void GetPrice_UnknownModelUnderZero_ReturnsZeroAndWarnsOnce()
    {
        var logger = new ListLogger();
        var catalog = new PriceCatalogBuilder().AddBuiltIn().SetUnknownModelPolicy(UnknownModelPolicy.Zero).SetLogger(logger).Build();

        var first = catalog.GetPrice("mystery");
        var second = catalog.GetPrice("mystery");

        Assert.Equal(0m, first.InputPerMillion);
        Assert.Equal(0m, second.OutputPerMillion);
        Assert.Single(logger.Messages, m => m.Contains("mystery", StringComparison.Ordinal));
    }

    [Fact]
    public void GetPrice_UnknownModelUnderFallback_ReturnsFallbackPrice()
    {
        var fallback = new ModelPrice("expensive-guess", 30m, 60m);
        var catalog = new PriceCatalogBuilder().SetUnknownModelPolicy(UnknownModelPolicy.UseFallbackPrice, fallback).Build();

        Assert.Same(fallback, catalog.GetPrice("mystery"));
    }

    [Fact]
    public void Build_FallbackPolicyWithoutPrice_ThrowsNamingSetting()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new PriceCatalogBuilder().SetUnknownModelPolicy(UnknownModelPolicy.UseFallbackPrice).Build());
        Assert.Contains("FallbackPrice", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_AliasToMissingModel_ThrowsNamingAlias()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new PriceCatalogBuilder().AddAlias("prod-deploy", "no-such-model").Build());
        Assert.Contains("prod-deploy", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Add_OverrideAfterBuiltIn_Wins()
    {
        var catalog = new PriceCatalogBuilder().AddBuiltIn().Add(new ModelPrice("gpt-4o", 1m, 2m)).Build();

        Assert.Equal(1m, catalog.GetPrice("gpt-4o-2024-08-06").InputPerMillion);
    }

    [Fact]
    public void AddAlias_AzureDeploymentName_ResolvesToTarget()
    {
        var catalog = PriceCatalog.BuiltIn.ToBuilder().AddAlias("contoso-prod-chat", "gpt-4.1-mini").Build();

        Assert.Equal("gpt-4.1-mini", catalog.GetPrice("contoso-prod-chat").ModelId);
    }

    [Fact]
    public void AddLiteLlmFile_Sample_ReadsEveryRateAndTier()
    {
        var catalog = new PriceCatalogBuilder().AddLiteLlmFile(TestPaths.TestData("litellm-sample.json")).Build();

        var gpt4o = catalog.GetPrice("gpt-4o");
        Assert.Equal(2.5m, gpt4o.InputPerMillion);
        Assert.Equal(1.25m, gpt4o.CachedInputPerMillion);
        Assert.Equal(10m, gpt4o.OutputPerMillion);
        Assert.Equal(128_000, gpt4o.ContextWindow);
        Assert.Equal(16_384, gpt4o.MaxOutputTokens);
        Assert.Equal("openai", gpt4o.Provider);

        var claude = catalog.GetPrice("claude-sonnet-4-20250514");
        Assert.Equal(3.75m, claude.CacheWritePerMillion);
        Assert.Equal(0.3m, claude.CachedInputPerMillion);

        var gemini = catalog.GetPrice("gemini/gemini-2.5-pro");
        Assert.NotNull(gemini.LongContext);
        Assert.Equal(200_000, gemini.LongContext.ThresholdTokens);
        Assert.Equal(2.5m, gemini.LongContext.InputPerMillion);
        Assert.Equal(15m, gemini.LongContext.OutputPerMillion);

        var gemini15 = catalog.GetPrice("gemini/gemini-1.5-pro");
        Assert.Equal(128_000, gemini15.LongContext!.ThresholdTokens);

        Assert.False(catalog.TryGetPrice("sample_spec", out _));
    }

    [Fact]
    public void AddLiteLlmFile_SharedFullTable_LoadsEveryTokenPricedModel()
    {
        var catalog = new PriceCatalogBuilder().AddLiteLlmFile(TestPaths.TestData("litellm_model_prices.json")).Build();

        Assert.True(catalog.Models.Count > 1000, $"{catalog.Models.Count} models");
        Assert.Equal(1.25m, catalog.GetPrice("gpt-5").InputPerMillion);
    }

    [Fact]
    public void AddLiteLlmJson_InvalidJson_ThrowsFormatExceptionNamingSource()
    {
        using var stream = new MemoryStream("{ not json"u8.ToArray());
        var ex = Assert.Throws<FormatException>(() => new PriceCatalogBuilder().AddLiteLlmJson(stream, "prices.json"));
        Assert.Contains("prices.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddConfiguration_PricesAndAliases_AreLoaded()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Prices:my-finetune:Input"] = "3.5",
            ["TokenGovernor:Prices:my-finetune:Output"] = "14",
            ["TokenGovernor:Prices:my-finetune:CachedInput"] = "1.75",
            ["TokenGovernor:Prices:my-finetune:LongContext:ThresholdTokens"] = "100000",
            ["TokenGovernor:Prices:my-finetune:LongContext:Input"] = "7",
            ["TokenGovernor:Prices:my-finetune:LongContext:Output"] = "28",
            ["TokenGovernor:Aliases:prod-ft"] = "my-finetune",
        }).Build();

        var catalog = new PriceCatalogBuilder().AddConfiguration(config.GetSection("TokenGovernor")).Build();
        var price = catalog.GetPrice("prod-ft");

        Assert.Equal("my-finetune", price.ModelId);
        Assert.Equal(3.5m, price.InputPerMillion);
        Assert.Equal(1.75m, price.CachedInputPerMillion);
        Assert.Equal(100_000, price.LongContext!.ThresholdTokens);
    }

    [Fact]
    public void AddConfiguration_NonNumericPrice_ThrowsNamingKey()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Prices:x:Input"] = "cheap",
            ["TokenGovernor:Prices:x:Output"] = "1",
        }).Build();

        var ex = Assert.Throws<FormatException>(() => new PriceCatalogBuilder().AddConfiguration(config.GetSection("TokenGovernor")));
        Assert.Contains("TokenGovernor:Prices:x:Input", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryGetPrice_ManyParallelLookups_AllAgree()
    {
        var catalog = PriceCatalog.BuiltIn.ToBuilder().Build();
        var ids = new[] { "openai/gpt-4o-2024-08-06", "claude-3-5-sonnet-20241022", "gemini/gemini-2.5-pro", "unknown-x" };
        Parallel.For(0, 2000, i =>
        {
            var id = ids[i % ids.Length];
            var found = catalog.TryGetPrice(id, out var price);
            Assert.Equal(i % ids.Length != 3, found);
        });
    }

    private sealed class ListLogger : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages)
            {
                Messages.Add(formatter(state, exception));
            }
        }
    }
}
