using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace TokenGovernor.Redis.Tests;

/// <summary>The shared caches' gate, on a connected Redis with the operations faked: bounded, fails open, backs off, logs once.</summary>
public sealed class RedisCacheGateTests : IDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan s_retry = TimeSpan.FromSeconds(2);
    private readonly FakeTimeProvider _time = new();
    private readonly FakeLogger _logger = new();
    private readonly ServiceProvider _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly MetricCollector<long> _fallbacks;
    private RedisCacheGate? _gateInstance;

    public RedisCacheGateTests() =>
        _fallbacks = new MetricCollector<long>(_metrics.GetRequiredService<IMeterFactory>(), TokenGovernorDiagnostics.MeterName, "token_governor.cache.fallbacks");

    // Created in the test, so a machine without Redis skips it (RedisFixture.Shared) instead of failing the constructor.
    private RedisCacheGate Gate => _gateInstance ??= new RedisCacheGate(RedisConnectionSource.Existing(RedisFixture.Shared.Connection),
        s_timeout, s_retry, _time, _logger, _metrics.GetRequiredService<IMeterFactory>());

    [SkippableFact]
    public async Task TryAsync_OperationFails_NotReachedThenBacksOffForRetryIntervalThenTriesAgain()
    {
        var runs = 0;
        Task<int> Failing(IDatabase db, CancellationToken ct)
        {
            runs++;
            throw new RedisException("connection closed");
        }

        var failed = await Gate.TryAsync("exact", "lookup", Failing, -1, CancellationToken.None);
        var skipped = await Gate.TryAsync("exact", "lookup", Failing, -1, CancellationToken.None);
        _time.Advance(s_retry);
        var retried = await Gate.TryAsync("exact", "lookup", (_, _) => Task.FromResult(7), -1, CancellationToken.None);

        Assert.False(failed.Reached);
        Assert.False(skipped.Reached);
        Assert.Equal(1, runs); // the second call did not ask Redis
        Assert.Equal((true, 7), retried);
        Assert.Equal(["error", "backing-off"], _fallbacks.GetMeasurementSnapshot().Select(m => (string?)m.Tags["reason"]));
    }

    [SkippableFact]
    public async Task TryAsync_OperationNeverAnswers_NotReachedAfterTheTimeout()
    {
        var never = new TaskCompletionSource<byte[]?>();

        var lookup = Gate.TryAsync("exact", "lookup", (_, _) => never.Task, -1, CancellationToken.None).AsTask();
        _time.Advance(s_timeout - TimeSpan.FromMilliseconds(1));
        var waitingBeforeTimeout = !lookup.IsCompleted;
        _time.Advance(TimeSpan.FromMilliseconds(1));
        var result = await lookup.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.True(waitingBeforeTimeout);
        Assert.False(result.Reached);
        Assert.Null(result.Value);
        Assert.True(Gate.IsBackingOff, "one timeout is enough for the caches to back off");
        var m = Assert.Single(_fallbacks.GetMeasurementSnapshot());
        Assert.Equal("timeout", m.Tags["reason"]);
        Assert.Equal("lookup", m.Tags["operation"]);
        Assert.Equal("exact", m.Tags["token_governor.cache.kind"]);
    }

    [SkippableFact]
    public async Task TryAsync_CallerCancels_ThrowsAndCountsNoFailure()
    {
        var never = new TaskCompletionSource<bool>();
        using var cancel = new CancellationTokenSource();

        var store = Gate.TryAsync("exact", "store", (_, _) => never.Task, -1, cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store);
        Assert.False(Gate.IsBackingOff);
        Assert.Empty(_fallbacks.GetMeasurementSnapshot());
    }

    [SkippableFact]
    public async Task TryAsync_ManyFailuresInOneOutage_LoggedOnceAndTheRecoveryOnce()
    {
        for (var i = 0; i < 5; i++)
        {
            await Gate.TryAsync<int>("semantic", "publish", (_, _) => throw new TimeoutException("slow"), -1, CancellationToken.None);
            _time.Advance(s_retry);
        }

        await Gate.TryAsync("exact", "lookup", (_, _) => Task.FromResult(1), -1, CancellationToken.None);
        await Gate.TryAsync("exact", "lookup", (_, _) => Task.FromResult(1), -1, CancellationToken.None);

        var logged = _logger.Collector.GetSnapshot();
        var outage = Assert.Single(logged, r => r.Id.Id == 6102);
        Assert.Contains("no reply within 300 ms", outage.Message, StringComparison.Ordinal);
        Assert.Contains(RedisFixture.Shared.Endpoint, outage.Message, StringComparison.Ordinal);
        Assert.Single(logged, r => r.Id.Id == 6103);
        Assert.Equal(5, _fallbacks.GetMeasurementSnapshot().Count(m => (string?)m.Tags["reason"] == "timeout"));
    }

    public void Dispose()
    {
        _fallbacks.Dispose();
        _metrics.Dispose();
    }
}
