using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using StackExchange.Redis;
using TokenGovernor.Testing;
using Xunit.Abstractions;

namespace TokenGovernor.Redis.Tests;

/// <summary>
/// <c>UseRedis</c>'s shared caches (its defaults: <c>ShareExactCache</c> and <c>ShareSemanticCache</c> on) under a response cache,
/// with Redis silent, paused or killed: resolving the client never waits for Redis, and a call is answered by the provider
/// within about <c>OperationTimeout</c> (a miss, a skipped write), never failed.
/// </summary>
[Collection(TimingSensitiveCollection.Name)]
public class SharedCacheFaultTests(ITestOutputHelper output)
{
    private const string Question = "What is the capital of France?";
    private static readonly TimeSpan s_timeout = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan s_margin = TimeSpan.FromMilliseconds(500);

    [SkippableTheory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public async Task UseRedis_EndpointAcceptsButNeverAnswers_ClientResolvesAtOnceAndProviderAnswersWithinOperationTimeout(bool semantic, bool streaming)
    {
        Skip.If(RedisFixture.SkipReason is not null, RedisFixture.SkipReason);
        await WarmUpJitAsync();
        using var silent = new SilentEndpoint();
        var provider = Provider();
        using var host = Host(silent.Endpoint, provider, semantic);

        var started = Stopwatch.GetTimestamp();
        var client = host.Services.GetRequiredService<IChatClient>();
        var resolved = Stopwatch.GetElapsedTime(started);
        // Before: resolving IChatClient waited for the connect (14.4 s measured).
        Assert.True(resolved < TimeSpan.FromSeconds(1), $"resolving IChatClient took {resolved.TotalMilliseconds:0} ms");
        var calls = new List<TimeSpan>();
        for (var i = 0; i < 3; i++)
        {
            started = Stopwatch.GetTimestamp();
            var response = await AskAsync(client, Question, streaming);
            calls.Add(Stopwatch.GetElapsedTime(started));
            Assert.Equal("Paris.", response.Text.Trim());
        }

        for (var i = 0; i < 40 && silent.Accepted == 0; i++)
        {
            await Task.Delay(50);
        }

        output.WriteLine($"resolve {resolved.TotalMilliseconds:0} ms; calls {string.Join(", ", calls.Select(c => c.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))} ms");

        // Before: each call took 5-6 s and then threw RedisConnectionException.
        Assert.All(calls, c => Assert.True(c < s_timeout + s_margin, $"a call took {c.TotalMilliseconds:0} ms (OperationTimeout is {s_timeout.TotalMilliseconds:0} ms)"));
        Assert.Equal(semantic ? 1 : 3, provider.Calls); // the semantic index is in-process: it keeps what it could not publish
        Assert.True(silent.Accepted > 0, "the client never reached the silent endpoint");
    }

    [SkippableFact]
    public async Task SharedExactCache_RedisPausedMidRun_CachedCallsAnsweredWithinOperationTimeoutThenHitsAgain()
    {
        using var server = StartServer();
        using var admin = Admin(server);
        var provider = Provider();
        using var host = Host(server.Endpoint, provider, semantic: false);
        var client = host.Services.GetRequiredService<IChatClient>();
        await UntilExactHitAsync(client, Question);

        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "3000", "ALL");
        var paused = Stopwatch.StartNew();
        var calls = new List<TimeSpan>();
        while (paused.Elapsed < TimeSpan.FromMilliseconds(2000))
        {
            var started = Stopwatch.GetTimestamp();
            var response = await AskAsync(client, Question, streaming: calls.Count % 2 == 1);
            calls.Add(Stopwatch.GetElapsedTime(started));
            Assert.Equal("Paris.", response.Text.Trim());
            await Task.Delay(100); // a steady trickle of calls, some after each back-off ends
        }

        var fallbacks = host.Fallbacks.GetMeasurementSnapshot();
        await Task.Delay(TimeSpan.FromMilliseconds(3200) - paused.Elapsed); // the pause is over
        var hitAfter = await UntilExactHitAsync(client, Question);

        output.WriteLine($"{calls.Count} calls while paused: {string.Join(", ", calls.Select(c => c.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))} ms; lookups timed out: {fallbacks.Count(m => (string?)m.Tags["reason"] == "timeout")}");

        // Before: a lookup waited for the pause to end (about 3 s) and then served the hit.
        Assert.True(calls.Count >= 3, $"only {calls.Count} calls in 2 s of pause");
        Assert.All(calls, c => Assert.True(c < s_timeout + s_margin, $"a call took {c.TotalMilliseconds:0} ms while Redis was paused (OperationTimeout is {s_timeout.TotalMilliseconds:0} ms)"));
        Assert.Contains(fallbacks, m => (string?)m.Tags["operation"] == "lookup" && (string?)m.Tags["reason"] == "timeout");
        Assert.True(hitAfter, "the exact cache served no hit from Redis after the pause");
    }

    [SkippableFact]
    public async Task SharedExactCache_RedisKilledAndRestarted_CallsAnsweredWhileDownThenHitsServedFromRedis()
    {
        using var server = StartServer();
        var providerA = Provider();
        var providerB = Provider();
        using var hostA = Host(server.Endpoint, providerA, semantic: false);
        using var hostB = Host(server.Endpoint, providerB, semantic: false);
        var a = hostA.Services.GetRequiredService<IChatClient>();
        var b = hostB.Services.GetRequiredService<IChatClient>();
        await UntilExactHitAsync(a, Question);
        await UntilExactHitAsync(b, Question);
        // Counted from the kill on: a lookup that timed out while the process was still warming up is an outage of its own.
        var outagesBefore = hostA.Services.GetFakeLogCollector().GetSnapshot().Count(r => r.Id.Id == 6102);

        server.Stop();
        var calls = new List<TimeSpan>();
        for (var i = 0; i < 6; i++)
        {
            var started = Stopwatch.GetTimestamp();
            var response = await AskAsync(a, Question, streaming: i % 2 == 1);
            calls.Add(Stopwatch.GetElapsedTime(started));
            Assert.Equal("Paris.", response.Text.Trim());
        }

        var fallbacks = hostA.Fallbacks.GetMeasurementSnapshot();
        var outagesLogged = hostA.Services.GetFakeLogCollector().GetSnapshot().Count(r => r.Id.Id == 6102) - outagesBefore;
        server.Restart(); // empty: nothing survives the kill
        var after = "And the capital of Italy?";
        var servedFromRedis = false;
        var clock = Stopwatch.StartNew();
        while (!servedFromRedis && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await a.GetResponseAsync(after, new ChatOptions { ModelId = "gpt-4o-mini" }); // stores it once A is connected again
            var callsB = providerB.Calls;
            var fromB = await b.GetResponseAsync(after, new ChatOptions { ModelId = "gpt-4o-mini" });
            servedFromRedis = fromB.GetGovernance()?.Cache == CacheStatus.Exact && providerB.Calls == callsB;
            if (!servedFromRedis)
            {
                await Task.Delay(100);
            }
        }

        output.WriteLine($"calls while down: {string.Join(", ", calls.Select(c => c.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))} ms; served from Redis again {clock.ElapsedMilliseconds} ms after the restart");

        // Before: each call while Redis was down waited about 5 s and then threw RedisConnectionException.
        Assert.All(calls, c => Assert.True(c < s_timeout + s_margin, $"a call took {c.TotalMilliseconds:0} ms while Redis was down (OperationTimeout is {s_timeout.TotalMilliseconds:0} ms)"));
        Assert.Contains(fallbacks, m => (string?)m.Tags["token_governor.cache.kind"] == "exact");
        Assert.Equal(1, outagesLogged); // once per outage, not once per call
        Assert.Contains(hostA.Services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 6103); // and its end
        Assert.True(servedFromRedis, "after the restart, an answer stored by one instance was never served to the other from Redis");
    }

    private static async Task<ChatResponse> AskAsync(IChatClient client, string question, bool streaming) => streaming
        ? await client.GetStreamingResponseAsync(question, new ChatOptions { ModelId = "gpt-4o-mini" }).ToChatResponseAsync()
        : await client.GetResponseAsync(question, new ChatOptions { ModelId = "gpt-4o-mini" });

    private static TestChatClient Provider() =>
        TestChatClient.Answering("Paris.", "gpt-4o-mini", new UsageDetails { InputTokenCount = 20, OutputTokenCount = 5 });

    private static CacheHost Host(string endpoint, IChatClient provider, bool semantic)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["TokenGovernor:Budgets:Policies:0:Name"] = "global",
            ["TokenGovernor:Budgets:Policies:0:CostLimit"] = "1.00",
        }).Build();
        var services = new ServiceCollection().AddMetrics().AddFakeLogging();
        services.AddTokenGovernor(configuration).UseRedis(endpoint, o =>
        {
            o.KeyPrefix = "cache-faults-" + Guid.NewGuid().ToString("N");
            o.Ledger.OperationTimeout = s_timeout;
            o.Ledger.RetryInterval = TimeSpan.FromMilliseconds(500);
        });
        var pipeline = services.AddChatClient(provider);
        _ = semantic ? pipeline.UseSemanticCache() : pipeline.UseResponseCache();
        return new CacheHost(services.BuildServiceProvider());
    }

    // Calls until the answer comes from the exact cache (the connection is opened in the background, so the first calls may miss).
    private static async Task<bool> UntilExactHitAsync(IChatClient client, string question)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var response = await client.GetResponseAsync(question, new ChatOptions { ModelId = "gpt-4o-mini" });
            if (response.GetGovernance()?.Cache == CacheStatus.Exact)
            {
                return true;
            }

            await Task.Delay(50);
        }

        return false;
    }

    // The first call of a pipeline pays for the JIT; pay it here, without Redis, so the timed calls measure Redis.
    private static async Task WarmUpJitAsync()
    {
        using var warm = new ChatClientBuilder(Provider()).UseResponseCache().Build();
        await warm.GetResponseAsync(Question, new ChatOptions { ModelId = "gpt-4o-mini" });
    }

    private static RedisServer StartServer()
    {
        Skip.If(RedisServer.Binary is null && Environment.GetEnvironmentVariable("TOKENGOVERNOR_REQUIRE_REDIS") != "1",
            "Redis cache fault tests skipped: they start and kill their own redis-server, and none is on PATH.");
        return RedisServer.Start();
    }

    private static ConnectionMultiplexer Admin(RedisServer server)
    {
        var config = ConfigurationOptions.Parse(server.Endpoint);
        config.AllowAdmin = true;
        return ConnectionMultiplexer.Connect(config);
    }

    private sealed class CacheHost : IDisposable
    {
        public CacheHost(ServiceProvider services)
        {
            Services = services;
            Fallbacks = new MetricCollector<long>(services.GetRequiredService<IMeterFactory>(), TokenGovernorDiagnostics.MeterName, "token_governor.cache.fallbacks");
        }

        public ServiceProvider Services { get; }

        public MetricCollector<long> Fallbacks { get; }

        public void Dispose()
        {
            Fallbacks.Dispose();
            Services.Dispose();
        }
    }

    /// <summary>A loopback endpoint that accepts TCP connections and never says anything: a Redis that hangs.</summary>
    private sealed class SilentEndpoint : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<Socket> _accepted = [];
        private readonly CancellationTokenSource _stop = new();
        private int _count;

        public SilentEndpoint()
        {
            _listener.Start();
            Endpoint = $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
            _ = AcceptAsync();
        }

        public string Endpoint { get; }

        public int Accepted => Volatile.Read(ref _count);

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_accepted)
            {
                foreach (var socket in _accepted)
                {
                    socket.Dispose();
                }
            }

            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    Interlocked.Increment(ref _count);
                    lock (_accepted)
                    {
                        _accepted.Add(socket); // kept open, never read from or written to
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // stopped
            }
        }
    }
}
