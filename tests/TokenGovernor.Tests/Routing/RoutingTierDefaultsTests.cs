using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Routing;

/// <summary>Routing never picks models of its own: tiers come from code or from <c>TokenGovernor:Routing:Tiers</c>.</summary>
public class RoutingTierDefaultsTests
{
    private static TestChatClient AnthropicProvider(List<string?> models) => new()
    {
        Metadata = new ChatClientMetadata("anthropic", defaultModelId: "claude-sonnet-4-20250514"),
        GetResponseAsyncCallback = (_, o, _) =>
        {
            models.Add(o?.ModelId);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))
            {
                ModelId = o?.ModelId ?? "claude-sonnet-4-20250514",
                Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 2 },
            });
        },
    };

    private static ServiceProvider Build(Dictionary<string, string?> settings, IChatClient provider, Action<RoutingOptions>? configure = null)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddTokenGovernor(config);
        services.AddChatClient(provider).UseTokenGovernor(g => g.UseModelRouting(configure));
        return services.BuildServiceProvider();
    }

    [Fact]
    public void RoutingOptions_New_HasNoTiers()
    {
        Assert.Empty(new RoutingOptions().Tiers);
    }

    [Fact]
    public void UseModelRouting_NoTiersInCodeOrConfiguration_BuildFailsNamingBothSettings()
    {
        var models = new List<string?>();
        using var services = Build([], AnthropicProvider(models));

        var ex = Assert.Throws<InvalidOperationException>(() => services.GetRequiredService<IChatClient>());

        Assert.Contains("RoutingOptions.Tiers", ex.Message, StringComparison.Ordinal);
        Assert.Contains("TokenGovernor:Routing:Tiers", ex.Message, StringComparison.Ordinal);
        Assert.Empty(models);
    }

    [Fact]
    public void ModelRoutingChatClient_DefaultOptions_ThrowsNamingTiers()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ModelRoutingChatClient(new TestChatClient()));

        Assert.Contains("RoutingOptions.Tiers", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UseModelRouting_TiersInConfiguration_SendsOnlyConfiguredModels()
    {
        var models = new List<string?>();
        using var services = Build(new()
        {
            ["TokenGovernor:Routing:Tiers:0:Name"] = "Small",
            ["TokenGovernor:Routing:Tiers:0:Models:0"] = "claude-3-5-haiku-20241022",
            ["TokenGovernor:Routing:Tiers:1:Name"] = "Large",
            ["TokenGovernor:Routing:Tiers:1:Models:0"] = "claude-sonnet-4-20250514",
        }, AnthropicProvider(models));
        var client = services.GetRequiredService<IChatClient>();

        await client.GetResponseAsync("What are your opening hours?");
        await client.GetResponseAsync("Design a microservice architecture for an online bookstore and compare the trade-offs of REST versus events in detail, step by step.");

        Assert.Equal(2, models.Count);
        Assert.All(models, m => Assert.StartsWith("claude-", m, StringComparison.Ordinal));
        Assert.Equal("claude-3-5-haiku-20241022", models[0]);
    }

    [Fact]
    public async Task UseModelRouting_TiersInCode_WinOverConfiguration()
    {
        var models = new List<string?>();
        using var services = Build(
            new() { ["TokenGovernor:Routing:Tiers:0:Name"] = "Small", ["TokenGovernor:Routing:Tiers:0:Models:0"] = "claude-3-5-haiku-20241022" },
            AnthropicProvider(models),
            o => o.Tiers.Add(ModelTier.Of("Only", "claude-sonnet-4-20250514")));

        await services.GetRequiredService<IChatClient>().GetResponseAsync("hi");

        Assert.Equal("claude-sonnet-4-20250514", Assert.Single(models));
    }

    [Theory]
    [InlineData("TokenGovernor:Routing:Tiers:0:Name", "TokenGovernor:Routing:Tiers:0:Models")]
    [InlineData("TokenGovernor:Routing:Tiers:0:Modles:0", "did you mean 'Models'?")]
    [InlineData("TokenGovernor:Routing:MaxEscalations", "TokenGovernor:Routing:MaxEscalations")]
    public void AddTokenGovernor_BadRoutingTiers_FailsStartUpNamingTheKey(string key, string expected)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [key] = "Small" }).Build();
        var services = new ServiceCollection();
        services.AddTokenGovernor(config);
        using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseOpenAITiers_ReplacesTiersWithFourOpenAIModels()
    {
        var options = new RoutingOptions();
        options.Tiers.Add(ModelTier.Of("Mine", "my-model"));

        options.UseOpenAITiers();

        Assert.Equal(["gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1", "o3"], options.Tiers.Select(t => t.Deployments[0].ModelId));
        Assert.True(options.Tiers[^1].IsReasoning);
    }

    [Fact]
    public async Task ModelRoutingChatClient_TiersChangedAfterBuild_KeepsTheTiersItWasBuiltWith()
    {
        var models = new List<string?>();
        var options = new RoutingOptions();
        options.Tiers.Add(ModelTier.Of("Only", "claude-sonnet-4-20250514"));
        var router = new ModelRoutingChatClient(AnthropicProvider(models), options);

        options.Tiers.Clear();
        options.Tiers.Add(ModelTier.Of("Only", "gpt-4o"));
        await router.GetResponseAsync("hi");

        Assert.Equal("claude-sonnet-4-20250514", Assert.Single(models));
    }
}
