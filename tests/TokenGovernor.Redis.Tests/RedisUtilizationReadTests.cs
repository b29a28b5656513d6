using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace TokenGovernor.Redis.Tests;

/// <summary>
/// The budget layer reads utilization (for the degradation ladder) before every reserve. While Redis does not answer, that read
/// must not wait too: a governed call waits at most one <see cref="RedisBudgetLedgerOptions.OperationTimeout"/>, not two.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public class RedisUtilizationReadTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMilliseconds(400);
    private static readonly TimeSpan s_margin = TimeSpan.FromMilliseconds(300);

    private static RedisServer StartServer()
    {
        Skip.If(RedisServer.Binary is null && Environment.GetEnvironmentVariable("TOKENGOVERNOR_REQUIRE_REDIS") != "1",
            "Redis fault tests skipped: they start and kill their own redis-server, and none is on PATH.");
        return RedisServer.Start(persistent: true);
    }

    private static ServiceProvider Host(string endpoint)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Budgets:Policies:0:Name"] = "global",
            ["TokenGovernor:Budgets:Policies:0:CostLimit"] = "1.00",
        }).Build();
        var services = new ServiceCollection();
        services.AddTokenGovernor(configuration).UseRedis(endpoint, o =>
        {
            o.ShareExactCache = false;
            o.ShareSemanticCache = false;
            o.Ledger.OperationTimeout = s_timeout;
            o.Ledger.TimeoutsBeforeBreaking = 100; // keep the health gate closed: every call tries Redis
            o.Ledger.UtilizationCacheDuration = TimeSpan.Zero; // every call needs a fresh utilization
        });
        services.AddChatClient(Testing.TestChatClient.Answering("hi", "gpt-4o-mini", new UsageDetails { InputTokenCount = 5, OutputTokenCount = 5 }))
            .UseTokenGovernor(p => p.UseBudgets());
        return services.BuildServiceProvider();
    }

    private static async Task<TimeSpan> TimedCallAsync(IChatClient client)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await client.GetResponseAsync("hello", new ChatOptions { ModelId = "gpt-4o-mini" });
        }
        catch (BudgetExceededException)
        {
        }

        return Stopwatch.GetElapsedTime(started);
    }

    [SkippableFact]
    public async Task GovernedCall_RedisDownFromStartUp_EachCallWaitsAtMostOneOperationTimeout()
    {
        using var server = StartServer();
        var endpoint = server.Endpoint;
        server.Stop();
        using var host = Host(endpoint);
        var client = host.GetRequiredService<IChatClient>();

        for (var i = 0; i < 4; i++)
        {
            var elapsed = await TimedCallAsync(client);
            Assert.True(elapsed < s_timeout + s_margin, $"call {i + 1} took {elapsed.TotalMilliseconds:0} ms (OperationTimeout {s_timeout.TotalMilliseconds:0} ms)");
        }
    }

    [SkippableFact]
    public async Task GovernedCall_RedisPaused_OnlyTheCallThatFindsItSlowWaitsTwice()
    {
        using var server = StartServer();
        using var host = Host(server.Endpoint);
        var client = host.GetRequiredService<IChatClient>();
        var warm = false;
        for (var i = 0; i < 50 && !warm; i++)
        {
            try
            {
                await client.GetResponseAsync("warm up", new ChatOptions { ModelId = "gpt-4o-mini" });
                warm = true;
            }
            catch (BudgetExceededException)
            {
                await Task.Delay(100); // until the ledger's connection is up and a call is admitted by Redis
            }
        }

        Assert.True(warm, "Redis never admitted a call");

        var admin = ConfigurationOptions.Parse(server.Endpoint);
        admin.AllowAdmin = true;
        using var connection = await ConnectionMultiplexer.ConnectAsync(admin);
        await connection.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "4000", "ALL");

        var first = await TimedCallAsync(client);
        var later = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            later.Add(await TimedCallAsync(client));
        }

        Assert.True(first < (2 * s_timeout) + s_margin, $"the first call took {first.TotalMilliseconds:0} ms");
        Assert.All(later, elapsed => Assert.True(elapsed < s_timeout + s_margin, $"a later call took {elapsed.TotalMilliseconds:0} ms"));
    }
}
