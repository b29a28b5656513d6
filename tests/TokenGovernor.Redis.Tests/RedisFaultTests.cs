using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using StackExchange.Redis;
using System.Diagnostics.Metrics;

namespace TokenGovernor.Redis.Tests;

/// <summary>A real redis-server (append-only file, fsync always) killed and restarted mid-run, and paused to make it slow.</summary>
[Collection(TimingSensitiveCollection.Name)]
public class RedisFaultTests
{
    private static readonly BudgetPolicy s_global = new("global") { CostLimit = 1m };

    [SkippableFact]
    public async Task FailClosed_RedisKilledAndRestarted_RefusesWhileDownThenSettlesOnce()
    {
        using var server = StartServer();
        using var connection = Connect(server);
        using var metrics = new MetricsScope();
        var ledger = Ledger(connection, RedisFailurePolicy.FailClosed, metrics.Factory);
        var before = (await ledger.ReserveAsync(GovernanceScope.Empty, 0.3m, 0)).Reservation;

        server.Stop();
        var unused = await ledger.SettleAsync(before, 0.2m, 0);
        var refused = await ledger.ReserveAsync(GovernanceScope.Empty, 0.1m, 0);
        server.Restart();
        await WaitConnectedAsync(connection);
        var reconciled = await ledger.ReconcileAsync();
        var again = await ledger.ReconcileAsync();
        var after = await ledger.ReserveAsync(GovernanceScope.Empty, 0.1m, 0);

        Assert.Equal(0.1m, unused);
        Assert.False(refused.IsGranted);
        Assert.True(refused.Denial!.IsLedgerUnavailable);
        Assert.Equal(2, reconciled); // the settle, and the abandon of the reserve that got no reply
        Assert.Equal(0, again);
        Assert.True(after.IsGranted);
        var usage = ledger.GetUsage(GovernanceScope.Empty)[0];
        Assert.Equal(0.2m, usage.SpentCost);
        Assert.Equal(0.1m, usage.ReservedCost);
        Assert.True(metrics.Fallbacks.GetMeasurementSnapshot().Sum(m => m.Value) >= 2);
    }

    [SkippableFact]
    public async Task FailOpen_RedisKilledAndRestarted_AdmitsUpToLocalFractionThenChargesEachOnce()
    {
        using var server = StartServer();
        using var connection = Connect(server);
        var ledger = Ledger(connection, RedisFailurePolicy.FailOpen, fraction: 0.2);
        var first = (await ledger.ReserveAsync(GovernanceScope.Empty, 0.1m, 0)).Reservation;
        await ledger.SettleAsync(first, 0.1m, 0);

        server.Stop();
        var admitted = 0;
        for (var i = 0; i < 6; i++)
        {
            var r = await ledger.ReserveAsync(GovernanceScope.Empty, 0.05m, 0);
            if (r.IsGranted)
            {
                admitted++;
                await ledger.SettleAsync(r.Reservation, 0.05m, 0);
            }
        }

        server.Restart();
        await WaitConnectedAsync(connection);
        await ledger.ReconcileAsync(); // a background drain may have applied some already
        var again = await ledger.ReconcileAsync();

        Assert.Equal(4, admitted); // 20% of the 1 USD limit, in 0.05 steps
        Assert.Equal(0, again);
        Assert.Equal(0.3m, ledger.GetUsage(GovernanceScope.Empty)[0].SpentCost);
        Assert.Equal(0, ledger.PendingOperations);
    }

    [SkippableTheory]
    [InlineData(RedisFailurePolicy.FailClosed)]
    [InlineData(RedisFailurePolicy.FailOpen)]
    public async Task SixteenCallers_RedisKilledAndRestartedMidRun_EverySettledCostCountedExactlyOnce(RedisFailurePolicy policy)
    {
        using var server = StartServer();
        using var connection = Connect(server);
        var limit = new BudgetPolicy("global") { CostLimit = 1_000m };
        var ledger = new RedisBudgetLedger(connection, [limit], new RedisBudgetLedgerOptions
        {
            FailurePolicy = policy,
            FailOpenLimitFraction = 0.5,
            OperationTimeout = TimeSpan.FromMilliseconds(300),
            RetryInterval = TimeSpan.FromMilliseconds(50),
        });
        var gate = new object();
        decimal settled = 0;
        long grantedWhileDown = 0, deniedWhileDown = 0, grantedAfter = 0;
        var phase = 0; // 0 before the kill, 1 while down, 2 after the restart
        using var stop = new CancellationTokenSource();

        var callers = Enumerable.Range(0, 16).Select(caller => Task.Run(async () =>
        {
            var random = new Random(caller);
            while (!stop.IsCancellationRequested)
            {
                var at = Volatile.Read(ref phase);
                var worst = Math.Round(0.001m + ((decimal)random.NextDouble() * 0.05m), 6);
                var result = await ledger.ReserveAsync(GovernanceScope.Empty, worst, 0);
                if (!result.IsGranted)
                {
                    // Redis's limit is far above what the test spends: a refusal is Redis being down, or (fail-open) the
                    // local share of the limit used up while it was.
                    Assert.True(result.Denial!.IsLedgerUnavailable || (policy == RedisFailurePolicy.FailOpen && at == 1),
                        $"refused in phase {at} by {result.Denial.Policy.Name}");
                    if (at == 1)
                    {
                        Interlocked.Increment(ref deniedWhileDown);
                    }

                    await Task.Delay(5);
                    continue;
                }

                _ = at switch
                {
                    1 => Interlocked.Increment(ref grantedWhileDown),
                    2 => Interlocked.Increment(ref grantedAfter),
                    _ => 0,
                };
                await Task.Delay(1); // the call itself
                var actual = Math.Round(worst * (decimal)random.NextDouble(), 6);
                if (await ledger.SettleAsync(result.Reservation, actual, 0) is not null)
                {
                    lock (gate)
                    {
                        settled += actual;
                    }
                }
            }
        })).ToArray();

        await Task.Delay(300);
        server.Stop();
        Volatile.Write(ref phase, 1);
        await Task.Delay(700);
        Volatile.Write(ref phase, 2);
        server.Restart();
        await WaitConnectedAsync(connection);
        for (var i = 0; i < 200 && Interlocked.Read(ref grantedAfter) < 50; i++)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        await Task.WhenAll(callers);
        for (var i = 0; i < 100 && ledger.PendingOperations > 0; i++)
        {
            await ledger.ReconcileAsync();
            await Task.Delay(20);
        }

        // Every queued settle, fail-open charge and abandoned reserve has been applied; then Redis itself is read. Spend equals
        // what the callers were told was settled, to the nano-dollar, and nothing is held: a reserve whose reply was lost in
        // the kill was abandoned, not left to the lease.
        Assert.Equal(0, ledger.PendingOperations);
        Assert.True(grantedAfter >= 50, $"only {grantedAfter} calls were granted after Redis came back");
        if (policy == RedisFailurePolicy.FailOpen)
        {
            Assert.True(grantedWhileDown > 0, "fail-open must admit calls locally while Redis is down");
        }
        else
        {
            Assert.True(deniedWhileDown > 0, "fail-closed must refuse calls while Redis is down");
        }

        using var fresh = Connect(server);
        var reader = new RedisBudgetLedger(fresh, [limit], new RedisBudgetLedgerOptions { FailurePolicy = RedisFailurePolicy.FailClosed });
        var usage = Assert.Single(reader.GetUsage(GovernanceScope.Empty)); // a fresh ledger has no last-seen values to fall back on
        Assert.Equal(settled, usage.SpentCost);
        await AssertNothingHeldAsync(reader);
    }

    [SkippableFact]
    public async Task SlowRedis_SettleTimesOutButRunsLater_RetryDoesNotCountTwice()
    {
        using var slow = new SlowRedis(TimeSpan.FromMilliseconds(200));
        var ledger = slow.Ledger;
        var r = (await ledger.ReserveAsync(GovernanceScope.Empty, 0.5m, 0)).Reservation;
        Assert.Single(ledger.GetUsage(GovernanceScope.Empty)); // loads the read script before the 200 ms timeout matters

        await slow.PauseWritesAsync(800);
        await ledger.SettleAsync(r, 0.4m, 0); // times out client-side; Redis runs it when the pause ends
        await Task.Delay(1200);
        var reconciled = await ledger.ReconcileAsync();

        Assert.Equal(1, reconciled);
        Assert.Equal(0.4m, ledger.GetUsage(GovernanceScope.Empty)[0].SpentCost);
        Assert.Equal(0, await ledger.CountOpenReservationsAsync());
    }

    [SkippableFact]
    public async Task SlowRedis_ReserveTimesOutButRunsLater_ItsHoldIsReleasedNotLeftForTheLease()
    {
        using var slow = new SlowRedis(TimeSpan.FromMilliseconds(200));
        var ledger = slow.Ledger;
        await WarmUpAsync(ledger);

        await slow.PauseWritesAsync(800);
        var timedOut = await ledger.ReserveAsync(GovernanceScope.Empty, 0.5m, 0); // the caller is refused; Redis grants it later
        await Task.Delay(1200);
        await ledger.ReconcileAsync();

        Assert.True(timedOut.Denial!.IsLedgerUnavailable);
        await AssertNothingHeldAsync(ledger);
        Assert.True((await ledger.ReserveAsync(GovernanceScope.Empty, 1m, 0)).IsGranted, "the whole limit is free again");
    }

    [SkippableFact]
    public async Task SlowRedis_CallerCancelsReserve_ItsHoldIsReleasedWhenTheScriptRuns()
    {
        using var slow = new SlowRedis(TimeSpan.FromSeconds(5));
        var ledger = slow.Ledger;
        await WarmUpAsync(ledger);

        await slow.PauseWritesAsync(600);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await ledger.ReserveAsync(GovernanceScope.Empty, 0.5m, 0, cancel.Token));
        await Task.Delay(1000);
        await ledger.ReconcileAsync();

        await AssertNothingHeldAsync(ledger);
    }

    [SkippableFact]
    public async Task FailClosed_RedisDownBeforeFirstCall_BudgetChatClientRefusesWithReason()
    {
        using var server = StartServer();
        using var connection = Connect(server);
        var ledger = Ledger(connection, RedisFailurePolicy.FailClosed);
        server.Stop();
        using var client = new ChatClientBuilder(Testing.TestChatClient.Answering("hi", "gpt-4o-mini", new UsageDetails { InputTokenCount = 5, OutputTokenCount = 5 }))
            .UseBudgets(ledger)
            .Build();

        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hello", new ChatOptions { ModelId = "gpt-4o-mini" }));

        Assert.Equal("budget-ledger-unavailable", ex.Reason);
    }

    [SkippableFact]
    public async Task UseRedis_RedisUnreachableAtStartUp_FirstCallRefusedWithinOperationTimeoutNamingRedis()
    {
        using var server = StartServer();
        var endpoint = server.Endpoint;
        server.Stop(); // nothing listens on the port: a Redis that is down when the app starts
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
            o.Ledger.OperationTimeout = TimeSpan.FromMilliseconds(300);
        });
        services.AddChatClient(Testing.TestChatClient.Answering("hi", "gpt-4o-mini", new UsageDetails { InputTokenCount = 5, OutputTokenCount = 5 }))
            .UseTokenGovernor(p => p.UseBudgets());
        using var host = services.BuildServiceProvider();
        var ledger = host.GetRequiredService<IBudgetLedger>();

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var first = await ledger.ReserveAsync(GovernanceScope.Empty, 0.01m, 0);
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        var ex = await Assert.ThrowsAsync<BudgetExceededException>(() => host.GetRequiredService<IChatClient>().GetResponseAsync("hello", new ChatOptions { ModelId = "gpt-4o-mini" }));

        // Before: the connection was opened synchronously on first use and the call took its 5 s connect timeout (5-10 s seen).
        Assert.True(first.Denial!.IsLedgerUnavailable);
        Assert.True(elapsed < TimeSpan.FromMilliseconds(300) + TimeSpan.FromMilliseconds(500), $"the first reserve took {elapsed.TotalMilliseconds:0} ms");
        Assert.Equal("budget-ledger-unavailable", ex.Reason);
        Assert.Contains("Redis", ex.Message, StringComparison.Ordinal);
        Assert.Contains(endpoint, ex.Message, StringComparison.Ordinal);
        Assert.Contains("RedisBudgetLedgerOptions.FailurePolicy", ex.Message, StringComparison.Ordinal);
        Assert.Contains("OperationTimeout", ex.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task SlowRedis_OneReserveTimesOut_NextCallerStillReachesRedis()
    {
        using var server = StartServer();
        using var connection = Connect(server);
        using var admin = Connect(server);
        var ledger = new RedisBudgetLedger(connection, [s_global], new RedisBudgetLedgerOptions
        {
            OperationTimeout = TimeSpan.FromMilliseconds(200),
            RetryInterval = TimeSpan.FromMinutes(5), // before: one timeout closed the ledger to every caller for this long
        });
        await WarmUpAsync(ledger);

        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "500", "WRITE");
        var slow = await ledger.ReserveAsync(GovernanceScope.Empty, 0.1m, 0);
        await Task.Delay(700); // the pause is over
        var next = await ledger.ReserveAsync(GovernanceScope.Empty, 0.1m, 0);

        Assert.True(slow.Denial!.IsLedgerUnavailable);
        Assert.False(ledger.IsDegraded);
        Assert.True(next.IsGranted, "one slow operation must not refuse the next caller");
    }

    [SkippableFact]
    public async Task SlowRedis_StopsAnsweringPastRetryInterval_LedgerStopsAskingAndFailsFast()
    {
        using var server = StartServer();
        using var connection = Connect(server);
        using var admin = Connect(server);
        var ledger = new RedisBudgetLedger(connection, [s_global], new RedisBudgetLedgerOptions
        {
            OperationTimeout = TimeSpan.FromMilliseconds(300),
            RetryInterval = TimeSpan.FromMilliseconds(900),
            TimeoutsBeforeBreaking = 3,
        });
        await WarmUpAsync(ledger);

        await admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", "6000", "WRITE");
        var calls = 0;
        while (!ledger.IsDegraded && calls < 40)
        {
            Assert.True((await ledger.ReserveAsync(GovernanceScope.Empty, 0.1m, 0)).Denial!.IsLedgerUnavailable);
            calls++;
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var refused = await ledger.ReserveAsync(GovernanceScope.Empty, 0.1m, 0);
        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);

        Assert.True(ledger.IsDegraded, $"still asking Redis after {calls} timeouts");
        // TimeoutsBeforeBreaking (3) counts every ledger operation that timed out, the queued ones retried in the background too
        // (the abandon of a timed-out reserve), so two reserves can make the three.
        Assert.True(calls >= 2, $"opened after {calls} timeouts");
        Assert.True(refused.Denial!.IsLedgerUnavailable);
        Assert.True(elapsed < TimeSpan.FromMilliseconds(300), $"a call while the ledger skips Redis took {elapsed.TotalMilliseconds:0} ms (its timeout is 300 ms)");
    }

    [SkippableTheory]
    [InlineData(RedisFailurePolicy.FailClosed)]
    [InlineData(RedisFailurePolicy.FailOpen)]
    public async Task HealthCheck_RedisKilledAndRestarted_ReportsItThenRecovers(RedisFailurePolicy policy)
    {
        using var server = StartServer();
        using var connection = Connect(server);
        var ledger = Ledger(connection, policy);
        var services = new ServiceCollection().AddLogging().AddSingleton<IBudgetLedger>(ledger);
        services.AddHealthChecks().AddTokenGovernorRedis();
        using var host = services.BuildServiceProvider();
        var health = host.GetRequiredService<HealthCheckService>();

        var up = await health.CheckHealthAsync();
        server.Stop();
        var down = await health.CheckHealthAsync();
        server.Restart();
        await WaitConnectedAsync(connection);
        var back = await health.CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, up.Status);
        var entry = down.Entries["tokengovernor-redis"];
        Assert.Equal(policy == RedisFailurePolicy.FailOpen ? HealthStatus.Degraded : HealthStatus.Unhealthy, entry.Status);
        Assert.Contains(server.Endpoint, entry.Description, StringComparison.Ordinal);
        Assert.Equal(server.Endpoint, entry.Data["endpoint"]);
        Assert.Equal(HealthStatus.Healthy, back.Status);
    }

    private static RedisServer StartServer()
    {
        Skip.If(RedisServer.Binary is null && Environment.GetEnvironmentVariable("TOKENGOVERNOR_REQUIRE_REDIS") != "1",
            "Redis fault tests skipped: they start and kill their own redis-server, and none is on PATH.");
        return RedisServer.Start(persistent: true);
    }

    private static ConnectionMultiplexer Connect(RedisServer server)
    {
        var config = ConfigurationOptions.Parse(server.Endpoint);
        config.AbortOnConnectFail = false;
        config.ConnectTimeout = 500;
        config.ReconnectRetryPolicy = new LinearRetry(100);
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.AllowAdmin = true;
        var connection = ConnectionMultiplexer.Connect(config);
        // Fail-fast connections refuse commands until the handshake is done: wait, so the first call reaches Redis.
        WaitConnectedAsync(connection).GetAwaiter().GetResult();
        return connection;
    }

    private static RedisBudgetLedger Ledger(IConnectionMultiplexer connection, RedisFailurePolicy policy, IMeterFactory? meters = null,
        double fraction = 0.1, TimeSpan? timeout = null) =>
        new(connection, [s_global], new RedisBudgetLedgerOptions
        {
            FailurePolicy = policy,
            FailOpenLimitFraction = fraction,
            OperationTimeout = timeout ?? TimeSpan.FromMilliseconds(500),
            RetryInterval = TimeSpan.Zero,
        }, meterFactory: meters);

    // No hold left in Redis: nothing reserved against the global policy and no reservation open.
    private static async Task AssertNothingHeldAsync(RedisBudgetLedger ledger)
    {
        Assert.Equal(0m, ledger.GetUsage(GovernanceScope.Empty)[0].ReservedCost);
        Assert.Equal(0, await ledger.CountOpenReservationsAsync());
    }

    // Loads the scripts (so a short timeout measures Redis, not the first EVAL) and leaves nothing reserved.
    private static async Task WarmUpAsync(RedisBudgetLedger ledger)
    {
        var warm = await ledger.ReserveAsync(GovernanceScope.Empty, 0.1m, 0);
        Assert.True(await ledger.ReleaseAsync(warm.Reservation));
        Assert.Single(ledger.GetUsage(GovernanceScope.Empty));
    }

    private static async Task WaitConnectedAsync(IConnectionMultiplexer connection)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (RedisException)
            {
                await Task.Delay(50);
            }
        }

        throw new TimeoutException("Redis did not come back within 10 s.");
    }

    // A fail-closed ledger on its own redis-server, and an admin connection that makes Redis slow with CLIENT PAUSE WRITE
    // (scripts wait, then run when the pause ends).
    private sealed class SlowRedis : IDisposable
    {
        private readonly RedisServer _server = StartServer();
        private readonly ConnectionMultiplexer _connection;
        private readonly ConnectionMultiplexer _admin;

        public SlowRedis(TimeSpan timeout)
        {
            _connection = Connect(_server);
            _admin = Connect(_server);
            Ledger = RedisFaultTests.Ledger(_connection, RedisFailurePolicy.FailClosed, timeout: timeout);
        }

        public RedisBudgetLedger Ledger { get; }

        public Task PauseWritesAsync(int milliseconds) =>
            _admin.GetDatabase().ExecuteAsync("CLIENT", "PAUSE", milliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture), "WRITE");

        public void Dispose()
        {
            _admin.Dispose();
            _connection.Dispose();
            _server.Dispose();
        }
    }

    private sealed class MetricsScope : IDisposable
    {
        private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();

        public MetricsScope()
        {
            Factory = _services.GetRequiredService<IMeterFactory>();
            Fallbacks = new MetricCollector<long>(Factory, TokenGovernorDiagnostics.MeterName, "token_governor.budget.ledger.fallbacks");
        }

        public IMeterFactory Factory { get; }

        public MetricCollector<long> Fallbacks { get; }

        public void Dispose()
        {
            Fallbacks.Dispose();
            _services.Dispose();
        }
    }
}
