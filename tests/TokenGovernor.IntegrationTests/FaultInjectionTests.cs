using System.ClientModel;

namespace TokenGovernor.IntegrationTests;

/// <summary>
/// Every fault the server can inject, through the real SDK and the governed stack: the call recovers or fails cleanly, and
/// afterwards no cost is lost or counted twice — the ledger's spend, the metered total and the server's reported usage agree,
/// and no reservation is left open.
/// </summary>
public class FaultInjectionTests
{
    private static readonly ChatOptions s_noCache = new() { AdditionalProperties = new() { [ResponseCacheOptions.BypassKey] = true } };

    [Fact]
    public async Task RateLimited_SdkRetriesAfterRetryAfter_SucceedsAndCountsOnce()
    {
        await using var stack = await GovernedStack.StartAsync(maxRetries: 2);
        stack.Server.Inject(Fault.RateLimited);

        var response = await stack.Client.GetResponseAsync("What is 2 plus 2?", s_noCache);

        Assert.Equal(2, stack.Server.ChatRequests);
        Assert.Contains("Answer to", response.Text, StringComparison.Ordinal);
        AssertConsistent(stack, reported: 1);
    }

    [Theory]
    [InlineData(Fault.RateLimited)]
    [InlineData(Fault.ServerError)]
    [InlineData(Fault.Unavailable)]
    [InlineData(Fault.MalformedJson)]
    public async Task GetResponse_FaultWithoutRouting_FailsCleanlyAndChargesNothing(Fault fault)
    {
        await using var stack = await GovernedStack.StartAsync(pipeline: p => p.UseBudgets().UseCostMetering());
        stack.Server.Inject(fault);

        await Assert.ThrowsAnyAsync<Exception>(() => stack.Client.GetResponseAsync("What is 3 plus 3?", new ChatOptions { ModelId = "gpt-4o-mini" }));
        var after = await stack.Client.GetResponseAsync("What is 4 plus 4?", new ChatOptions { ModelId = "gpt-4o-mini" });

        Assert.Contains("Answer to", after.Text, StringComparison.Ordinal);
        AssertConsistent(stack, reported: 1);
    }

    [Theory]
    [InlineData(Fault.RateLimited)]
    [InlineData(Fault.ServerError)]
    [InlineData(Fault.Unavailable)]
    public async Task GetResponse_TransientFaultWithRouting_RecoversByEscalatingAndCountsOnce(Fault fault)
    {
        await using var stack = await GovernedStack.StartAsync();
        stack.Server.Inject(fault);

        var response = await stack.Client.GetResponseAsync("What is 3 plus 3?", s_noCache);

        Assert.Contains("Answer to", response.Text, StringComparison.Ordinal);
        Assert.Equal(2, stack.Server.ChatRequests);
        Assert.Contains("escalated:error", response.GetGovernance()!.Routing!.Reasons);
        AssertConsistent(stack, reported: 1);
    }

    [Fact]
    public async Task Timeout_NetworkTimeoutElapsesWithoutRouting_FailsCleanlyAndChargesNothing()
    {
        await using var stack = await GovernedStack.StartAsync(networkTimeout: TimeSpan.FromMilliseconds(500),
            pipeline: p => p.UseLoopGuard().UseResponseCache().UseBudgets().UseCostMetering());
        stack.Server.Inject(Fault.Timeout);

        await Assert.ThrowsAnyAsync<Exception>(() => stack.Client.GetResponseAsync("What is 5 plus 5?", s_noCache));

        AssertConsistent(stack, reported: 0);
        Assert.Equal(0m, stack.Spent);
    }

    [Fact]
    public async Task Timeout_NetworkTimeoutElapsesWithRouting_RecoversByEscalatingAndCountsOnce()
    {
        // The SDK's network timeout is a cancellation the caller never asked for: a transient timeout, so routing moves on.
        await using var stack = await GovernedStack.StartAsync(networkTimeout: TimeSpan.FromMilliseconds(500));
        stack.Server.Inject(Fault.Timeout);

        var response = await stack.Client.GetResponseAsync("What is 5 plus 5?", s_noCache);

        Assert.Contains("Answer to", response.Text, StringComparison.Ordinal);
        Assert.Contains("escalated:error", response.GetGovernance()!.Routing!.Reasons);
        AssertConsistent(stack, reported: 1);
    }

    [Theory]
    [InlineData(Fault.ServerError)]
    [InlineData(Fault.RateLimited)]
    public async Task Streaming_FaultBeforeFirstChunk_FailsCleanlyAndChargesNothing(Fault fault)
    {
        await using var stack = await GovernedStack.StartAsync();
        stack.Server.Inject(fault);

        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in stack.Client.GetStreamingResponseAsync("Count to three.", s_noCache))
            {
            }
        });

        AssertConsistent(stack, reported: 0);
        Assert.Equal(0m, stack.Spent);
    }

    [Fact]
    public async Task Streaming_ConnectionDroppedMidStream_PartialOutputChargedOnceByEstimate()
    {
        await using var stack = await GovernedStack.StartAsync();
        stack.Server.Inject(Fault.DropStream);

        var updates = 0;
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in stack.Client.GetStreamingResponseAsync("Tell me a short story about a lighthouse keeper.", s_noCache))
            {
                updates++;
            }
        });
        Assert.True(updates > 0, "the drop must come after some output for the test to mean anything: " + ex.Message);

        // The server never sent its usage chunk: the tokens it did generate are estimated, settled once, and metered once.
        Assert.Empty(stack.Server.Reported);
        Assert.True(stack.Costs.TotalCost > 0);
        Assert.Equal(stack.Costs.TotalCost, stack.Spent);
        Assert.Equal(0m, stack.Reserved);
    }

    [Fact]
    public async Task RateLimited_RoutingTierWithTwoDeployments_FailsOverAfterRetryAfterAndCountsOnce()
    {
        // SDK retries off, so the 429 reaches routing, which waits for Retry-After and tries the tier's next deployment.
        await using var stack = await GovernedStack.StartAsync(pipeline: p => p
            .UseModelRouting(o =>
            {
                o.Tiers.Clear();
                o.Tiers.Add(ModelTier.Of("Small", "gpt-4o-mini", "gpt-4.1-nano"));
                o.Tiers.Add(ModelTier.Of("Large", "gpt-4.1"));
            })
            .UseBudgets()
            .UseCostMetering());
        stack.Server.Inject(Fault.RateLimited);

        var response = await stack.Client.GetResponseAsync("What is 6 plus 6?", s_noCache);

        Assert.Equal(["gpt-4o-mini", "gpt-4.1-nano"], stack.Server.RequestedModels.ToArray());
        Assert.Contains("failover:gpt-4o-mini", response.GetGovernance()!.Routing!.Reasons);
        AssertConsistent(stack, reported: 1);
    }

    private static void AssertConsistent(GovernedStack stack, int reported)
    {
        Assert.Equal(reported, stack.Server.Reported.Count);
        Assert.Equal(stack.ReportedCost, stack.Costs.TotalCost);
        Assert.Equal(stack.ReportedCost, stack.Spent);
        Assert.Equal(0m, stack.Reserved);
    }
}
