using Microsoft.Extensions.Time.Testing;

namespace TokenGovernor.Redis.Tests;

/// <summary>Request limits shared by several app instances through one Redis: the count is atomic across instances.</summary>
public class RedisRequestLimitTests
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 23, 10, 0, 20, TimeSpan.Zero);

    [SkippableFact]
    public async Task ReserveAsync_TwoInstancesManyParallelCallers_GrantExactlyTheLimitBetweenThem()
    {
        var redis = RedisFixture.Shared;
        var prefix = redis.NewPrefix("rpm-shared");
        var time = new FakeTimeProvider(s_now);
        BudgetPolicy[] policies = [new BudgetPolicy("tenant-rpm") { Level = ScopeLevel.Tenant, RequestLimit = 10, Window = BudgetWindow.Minute }];
        var options = new RedisBudgetLedgerOptions { KeyPrefix = prefix, OperationTimeout = TimeSpan.FromSeconds(5) };
        RedisBudgetLedger[] instances = [new(redis.Connection, policies, options, time), new(redis.Connection, policies, options, time)];
        var scope = new GovernanceScope { Tenant = "acme" };
        var granted = new int[2];

        await Parallel.ForAsync(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            if ((await instances[i % 2].ReserveAsync(scope, 0.01m, 10, ct)).IsGranted)
            {
                Interlocked.Increment(ref granted[i % 2]);
            }
        });

        Assert.Equal(10, granted[0] + granted[1]);
        Assert.Equal(10, Assert.Single(instances[0].GetUsage(scope)).Requests);
        Assert.Equal(10, Assert.Single(instances[1].GetUsage(scope)).Requests);
        var denied = await instances[1].ReserveAsync(scope, 0, 0);
        Assert.True(denied.Denial!.IsRequestLimit);
        Assert.Equal(TimeSpan.FromSeconds(40), denied.Denial.RetryAfter);
    }
}
