using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace TokenGovernor.Tests.Configuration;

public class TokenGovernorServiceCollectionExtensionsTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddTokenGovernor(config);
        return services.BuildServiceProvider();
    }

    private static void ValidateOnStart(ServiceProvider provider) =>
        provider.GetRequiredService<IStartupValidator>().Validate();

    [Fact]
    public void AddTokenGovernor_Configuration_BindsPricesAliasesAndPolicy()
    {
        using var provider = Build(new()
        {
            ["TokenGovernor:UnknownModelPolicy"] = "UseFallbackPrice",
            ["TokenGovernor:FallbackModelId"] = "gpt-4.1",
            ["TokenGovernor:Prices:house-model:Input"] = "0.5",
            ["TokenGovernor:Prices:house-model:Output"] = "1.5",
            ["TokenGovernor:Aliases:prod-deployment"] = "house-model",
        });

        ValidateOnStart(provider);
        var catalog = provider.GetRequiredService<PriceCatalog>();

        Assert.Equal(0.5m, catalog.GetPrice("prod-deployment").InputPerMillion);
        Assert.Equal("gpt-4.1", catalog.GetPrice("never-heard-of-it").ModelId);
    }

    [Fact]
    public void AddTokenGovernor_BadPolicyValue_FailsNamingKey()
    {
        using var provider = Build(new() { ["TokenGovernor:UnknownModelPolicy"] = "Ignore" });

        var ex = Assert.ThrowsAny<Exception>(() => ValidateOnStart(provider));
        Assert.Contains("TokenGovernor:UnknownModelPolicy", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTokenGovernor_BadPrice_FailsAtStartupNamingKey()
    {
        using var provider = Build(new()
        {
            ["TokenGovernor:Prices:x:Input"] = "-1",
            ["TokenGovernor:Prices:x:Output"] = "1",
        });

        var ex = Assert.Throws<OptionsValidationException>(() => ValidateOnStart(provider));
        Assert.Contains("TokenGovernor:Prices:x:Input", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTokenGovernor_MissingPriceFile_FailsAtStartupNamingFile()
    {
        using var provider = Build(new() { ["TokenGovernor:PriceFiles:0"] = "/no/such/prices.json" });

        var ex = Assert.Throws<OptionsValidationException>(() => ValidateOnStart(provider));
        Assert.Contains("/no/such/prices.json", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTokenGovernor_FallbackPolicyWithoutModel_FailsNamingSetting()
    {
        using var provider = Build(new() { ["TokenGovernor:UnknownModelPolicy"] = "UseFallbackPrice" });

        var ex = Assert.Throws<OptionsValidationException>(() => ValidateOnStart(provider));
        Assert.Contains("TokenGovernor:FallbackModelId", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTokenGovernor_OutOfRangeSetting_FailsNamingMember()
    {
        var services = new ServiceCollection();
        services.AddTokenGovernor(configure: o => o.DefaultMaxOutputTokens = 0);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => ValidateOnStart(provider));
        Assert.Contains("DefaultMaxOutputTokens", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTokenGovernor_PriceFile_LoadsOverBuiltIn()
    {
        using var provider = Build(new() { ["TokenGovernor:PriceFiles:0"] = TestPaths.TestData("litellm-sample.json") });

        ValidateOnStart(provider);

        Assert.True(provider.GetRequiredService<PriceCatalog>().TryGetPrice("groq/llama-3.3-70b-versatile", out var price));
        Assert.Equal("groq/llama-3.3-70b-versatile", price.ModelId);
    }

    [Fact]
    public void AddTokenGovernor_Always_RegistersOneAggregatorAsSink()
    {
        var services = new ServiceCollection();
        services.AddTokenGovernor();
        services.AddTokenGovernor();
        using var provider = services.BuildServiceProvider();

        var sinks = provider.GetServices<ICostSink>().ToList();
        Assert.Equal(3, sinks.Count); // the cost aggregator, the outcome tracker and the budget utilization gauge, each once
        foreach (var sink in sinks)
        {
            sink.Record(new GovernanceRecord { ProviderCalls = 1, Cost = new CostBreakdown(1m, 0, 0, 0, 0) });
        }

        Assert.Equal(1m, provider.GetRequiredService<InMemoryCostAggregator>().TotalCost);
    }
}
