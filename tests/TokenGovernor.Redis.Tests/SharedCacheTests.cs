using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using TokenGovernor.Testing;

namespace TokenGovernor.Redis.Tests;

/// <summary>Caches shared between instances: the exact cache in Redis, semantic entries replicated into each instance's index.</summary>
public class SharedCacheTests
{
    private const string Question = "How do I reset my account password?";

    [SkippableFact]
    public async Task SemanticEntry_StoredOnOneInstance_IsServedByAnotherWithoutCallingTheProvider()
    {
        var redis = RedisFixture.Shared;
        var prefix = redis.NewPrefix("semantic");
        using var connB = ConnectionMultiplexer.Connect(redis.Endpoint);
        using var a = Instance(redis.Connection, prefix);
        using var b = Instance(connB, prefix);

        await a.Client.GetResponseAsync(Question, new ChatOptions { ModelId = "gpt-4o-mini" });
        await WaitForAsync(() => b.Replicator.EntriesReceived >= 1);
        var response = await b.Client.GetResponseAsync("How can I reset my account password?", new ChatOptions { ModelId = "gpt-4o-mini" });

        Assert.Equal(0, b.Provider.Calls);
        Assert.Equal(CacheStatus.Semantic, response.GetGovernance()!.Cache);
    }

    [SkippableFact]
    public async Task NewInstance_WarmsItsIndexFromStoredEntries()
    {
        var redis = RedisFixture.Shared;
        var prefix = redis.NewPrefix("warm");
        using (var a = Instance(redis.Connection, prefix))
        {
            await a.Client.GetResponseAsync(Question, new ChatOptions { ModelId = "gpt-4o-mini" });
        }

        using var late = Instance(redis.Connection, prefix);
        await WaitForAsync(() => late.Replicator.EntriesReceived >= 1);
        await late.Client.GetResponseAsync(Question, new ChatOptions { ModelId = "gpt-4o-mini" });

        Assert.Equal(0, late.Provider.Calls);
    }

    [SkippableFact]
    public async Task ReplicatedEntry_OtherTenant_IsNotServed()
    {
        var redis = RedisFixture.Shared;
        var prefix = redis.NewPrefix("tenants");
        using var a = Instance(redis.Connection, prefix);
        using var b = Instance(redis.Connection, prefix);
        using (GovernanceScope.Begin(tenant: "acme"))
        {
            await a.Client.GetResponseAsync(Question, new ChatOptions { ModelId = "gpt-4o-mini" });
        }

        await WaitForAsync(() => b.Replicator.EntriesReceived >= 1);
        using (GovernanceScope.Begin(tenant: "globex"))
        {
            await b.Client.GetResponseAsync(Question, new ChatOptions { ModelId = "gpt-4o-mini" });
        }

        Assert.Equal(1, b.Provider.Calls);
    }

    [SkippableFact]
    public async Task UseRedis_TwoHosts_ShareExactCacheAndOneBudget()
    {
        var redis = RedisFixture.Shared;
        var prefix = redis.NewPrefix("di");
        var providerA = TestChatClient.Answering("Paris.", "gpt-4o-mini", new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5 });
        var providerB = TestChatClient.Answering("Paris.", "gpt-4o-mini", new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5 });
        using var hostA = Host(redis.Connection, prefix, providerA);
        using var hostB = Host(redis.Connection, prefix, providerB);
        var options = new ChatOptions { ModelId = "gpt-4o-mini" };

        await hostA.GetRequiredService<IChatClient>().GetResponseAsync("What is the capital of France?", options);
        var fromB = await hostB.GetRequiredService<IChatClient>().GetResponseAsync("What is the capital of France?", options);

        Assert.Equal(0, providerB.Calls);
        Assert.Equal(CacheStatus.Exact, fromB.GetGovernance()!.Cache);
        Assert.IsType<RedisBudgetLedger>(hostA.GetRequiredService<IBudgetLedger>());
        Assert.NotNull(hostA.GetKeyedService<IDistributedCache>(ResponseCacheOptions.DistributedCacheServiceKey));
        Assert.Null(hostA.GetService<IDistributedCache>()); // the app's own IDistributedCache is not replaced
        var usageA = hostA.GetRequiredService<IBudgetLedger>().GetUsage(GovernanceScope.Empty).Single();
        var usageB = hostB.GetRequiredService<IBudgetLedger>().GetUsage(GovernanceScope.Empty).Single();
        Assert.True(usageA.SpentCost > 0);
        Assert.Equal(usageA.SpentCost, usageB.SpentCost);
    }

    private static ServiceProvider Host(IConnectionMultiplexer connection, string prefix, IChatClient provider)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Budgets:Policies:0:Name"] = "global",
            ["TokenGovernor:Budgets:Policies:0:CostLimit"] = "1.00",
        }).Build();
        var services = new ServiceCollection();
        // 5 s, as the contract and multi-process tests use: this test is about sharing, and classes run in parallel beside ones
        // that start processes and kill servers, where the 500 ms default can expire and fail-closed would refuse the call.
        services.AddTokenGovernor(configuration).UseRedis(connection, o =>
        {
            o.KeyPrefix = prefix;
            o.Ledger.OperationTimeout = TimeSpan.FromSeconds(5);
        });
        services.AddChatClient(provider).UseTokenGovernor(p => p.UseResponseCache().UseBudgets().UseCostMetering());
        return services.BuildServiceProvider(validateScopes: true);
    }

    private static CacheInstance Instance(IConnectionMultiplexer connection, string prefix)
    {
        var provider = TestChatClient.Answering("Open Settings, then Security, then Reset password.", "gpt-4o-mini",
            new UsageDetails { InputTokenCount = 30, OutputTokenCount = 12 });
        var replicator = new RedisSemanticCacheReplicator(connection, new RedisSemanticCacheReplicatorOptions { KeyPrefix = prefix, PollInterval = TimeSpan.FromMilliseconds(100) });
        var client = new ResponseCacheChatClient(provider, new ResponseCacheOptions { EnableExact = false, EnableSemantic = true }, replicator: replicator);
        return new CacheInstance(provider, replicator, client);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition(), "replication did not arrive within 5 s");
    }

    private sealed record CacheInstance(TestChatClient Provider, RedisSemanticCacheReplicator Replicator, ResponseCacheChatClient Client) : IDisposable
    {
        public void Dispose()
        {
            Client.Dispose();
            Replicator.Dispose();
        }
    }
}
