using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TokenGovernor.Cli;

namespace TokenGovernor.Tests.Configuration;

public class ConfigurationKeyValidationTests
{
    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddTokenGovernor(config);
        return services.BuildServiceProvider();
    }

    private static string StartUpError(Dictionary<string, string?> settings)
    {
        using var provider = Build(settings);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate()).Message;
    }

    [Fact]
    public void AddTokenGovernor_SectionBudgetForBudgets_FailsNamingKeyAndNearest()
    {
        var message = StartUpError(new() { ["TokenGovernor:Budget:Policies:0:Name"] = "p", ["TokenGovernor:Budget:Policies:0:CostLimit"] = "1" });

        Assert.Contains("'TokenGovernor:Budget'", message, StringComparison.Ordinal);
        Assert.Contains("'Budget': did you mean 'Budgets'?", message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTokenGovernor_CostLimtBesideTokenLimit_FailsNamingFullPathAndCostLimit()
    {
        var message = StartUpError(new()
        {
            ["TokenGovernor:Budgets:Policies:0:Name"] = "p",
            ["TokenGovernor:Budgets:Policies:0:TokenLimit"] = "1000",
            ["TokenGovernor:Budgets:Policies:0:CostLimt"] = "1",
        });

        Assert.Contains("'TokenGovernor:Budgets:Policies:0:CostLimt'", message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'CostLimit'?", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DefaultMaxOutputTokens", "-3")]
    [InlineData("MessageCacheCapacity", "-1")]
    [InlineData("PriceCatalogStaleAfterDays", "0")]
    public void AddTokenGovernor_ValueOutOfRange_FailsNamingFullKeyPathAndValue(string key, string value)
    {
        var message = StartUpError(new() { ["TokenGovernor:" + key] = value });

        Assert.Contains($"'TokenGovernor:{key}'", message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTokenGovernor_UnknownModelPolcy_FailsNamingUnknownModelPolicy()
    {
        var message = StartUpError(new() { ["TokenGovernor:UnknownModelPolcy"] = "Zero" });

        Assert.Contains("did you mean 'UnknownModelPolicy'?", message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddTokenGovernor_UnknownKeysWarn_StartsAndKeepsValidSettings()
    {
        using var provider = Build(new() { ["TokenGovernor:UnknownKeys"] = "Warn", ["TokenGovernor:Budget:Policies:0:Name"] = "p", ["TokenGovernor:DefaultModelId"] = "gpt-4o" });

        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal("gpt-4o", provider.GetRequiredService<IOptions<TokenGovernorOptions>>().Value.DefaultModelId);
    }

    [Fact]
    public void AddTokenGovernor_NegativeCostLimit_FailsNamingFullKeyPath()
    {
        var message = StartUpError(new() { ["TokenGovernor:Budgets:Policies:0:Name"] = "p", ["TokenGovernor:Budgets:Policies:0:CostLimit"] = "-1" });

        Assert.Contains("'TokenGovernor:Budgets:Policies:0:CostLimit'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Schema_EveryTokenGovernorOptionsProperty_IsAcceptedWithoutAChangeToTheCheck()
    {
        // A property another feature adds to TokenGovernorOptions is valid at once: the keys come from reflection.
        var schema = TokenGovernorOptionsValidator.Schema();

        // UnscopedCalls and DefaultScopeKey are read beside the policies, under TokenGovernor:Budgets.
        string[] underBudgets = [nameof(TokenGovernorOptions.UnscopedCalls), nameof(TokenGovernorOptions.DefaultScopeKey)];
        Assert.All(typeof(TokenGovernorOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance),
            p => Assert.True(underBudgets.Contains(p.Name) ? schema.Children!["Budgets"].Children!.ContainsKey(p.Name) : schema.Children!.ContainsKey(p.Name),
                $"TokenGovernor:{p.Name} is not accepted"));
        Assert.All(typeof(BudgetPolicy).GetProperties(BindingFlags.Public | BindingFlags.Instance),
            p => Assert.True(schema.Children!["Budgets"].Children!["Policies"].AnyKey!.Children!.ContainsKey(p.Name), $"policy key {p.Name} is not accepted"));
    }

    [Fact]
    public void AddTokenGovernor_EveryDocumentedKey_Starts()
    {
        using var provider = Build(new()
        {
            ["TokenGovernor:UnknownModelPolicy"] = "Throw",
            ["TokenGovernor:DefaultModelId"] = "gpt-4o",
            ["TokenGovernor:IncludeBuiltInPrices"] = "true",
            ["TokenGovernor:DefaultMaxOutputTokens"] = "1000",
            ["TokenGovernor:MessageCacheCapacity"] = "100",
            ["TokenGovernor:ReservationLease"] = "00:05:00",
            ["TokenGovernor:Prices:house:Input"] = "1",
            ["TokenGovernor:Prices:house:Output"] = "2",
            ["TokenGovernor:Prices:house:LongContext:ThresholdTokens"] = "200000",
            ["TokenGovernor:Prices:house:LongContext:Input"] = "2",
            ["TokenGovernor:Prices:house:LongContext:Output"] = "4",
            ["TokenGovernor:Aliases:prod"] = "house",
            ["TokenGovernor:Budgets:Policies:0:Name"] = "p",
            ["TokenGovernor:Budgets:Policies:0:Level"] = "Tenant",
            ["TokenGovernor:Budgets:Policies:0:CostLimit"] = "1",
            ["TokenGovernor:Budgets:Policies:0:Window"] = "Sliding",
            ["TokenGovernor:Budgets:Policies:0:SlidingWindow"] = "01:00:00",
            ["TokenGovernor:Budgets:Policies:0:SoftThresholds:0"] = "0.5",
            ["TokenGovernor:Budgets:Policies:0:Mode"] = "Optimistic",
        });

        provider.GetRequiredService<IStartupValidator>().Validate();
    }

    [Fact]
    public async Task Replay_ConfigWithTypo_ExitsTwoWithOneLineNamingTheNearestKey()
    {
        var dir = Directory.CreateTempSubdirectory("tg-cfg-");
        try
        {
            var log = Path.Combine(dir.FullName, "t.jsonl");
            var config = Path.Combine(dir.FullName, "g.json");
            await File.WriteAllTextAsync(log, TrafficLog.Serialize(new TrafficLogEntry
            {
                Time = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero),
                Scope = new GovernanceScope { Tenant = "acme" },
                ModelId = "gpt-4o",
                InputTokens = 100,
                Usage = new TokenUsage(100, 20, 0, 0, 0),
            }) + "\n");
            await File.WriteAllTextAsync(config, """{ "TokenGovernor": { "Budget": { "Policies": [] }, "Pipeline": { "ResponseCache": true } } }""");
            var stderr = new StringWriter();

            var code = await CliApp.RunAsync(["replay", "--log", log, "--config", config], TextReader.Null, TextWriter.Null, stderr);

            Assert.Equal(2, code);
            Assert.Single(stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains("'Budget': did you mean 'Budgets'?", stderr.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain("Pipeline", stderr.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
