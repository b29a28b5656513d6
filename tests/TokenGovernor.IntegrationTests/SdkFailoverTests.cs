namespace TokenGovernor.IntegrationTests;

/// <summary>
/// Failover between a tier's deployments on the errors the real OpenAI SDK raises (its <c>ClientRetryPolicy</c> and
/// <c>NetworkTimeout</c> in play) against the local server: each fault on the first deployment moves the call to the second.
/// </summary>
public class SdkFailoverTests
{
    private static readonly ChatOptions s_noCache = new() { ModelId = "gpt-4o-mini", AdditionalProperties = new() { ["cache"] = false } };

    public static TheoryData<Fault, int, bool> Faults => new()
    {
        // SDK retries on: once they run out, timeouts and I/O errors arrive wrapped in AggregateException ("Retry failed after 2 tries").
        { Fault.Timeout, 1, false },
        { Fault.Timeout, 1, true },
        { Fault.Disconnect, 1, false },
        { Fault.Disconnect, 1, true },
        // SDK retries off: the network timeout surfaces as a TaskCanceledException the caller never asked for.
        { Fault.Timeout, 0, false },
        { Fault.Timeout, 0, true },
        // A 200 whose body is cut off: a JsonException (decided transient; see RoutingOptions.IsTransient).
        { Fault.MalformedJson, 0, false },
        { Fault.MalformedJson, 0, true },
        // HTTP 5xx after the SDK's retries: a ClientResultException.
        { Fault.ServerError, 1, false },
        { Fault.ServerError, 1, true },
    };

    [Theory]
    [MemberData(nameof(Faults))]
    public async Task Fault_OnFirstDeployment_FailsOverToTheSecond(Fault fault, int sdkRetries, bool streaming)
    {
        await using var stack = await GovernedStack.StartAsync(maxRetries: sdkRetries, networkTimeout: TimeSpan.FromMilliseconds(400), pipeline: p => p
            .UseModelRouting(o =>
            {
                o.Tiers.Clear();
                o.Tiers.Add(ModelTier.Of("Small", "gpt-4o-mini", "gpt-4.1-nano"));
                o.Tiers.Add(ModelTier.Of("Large", "gpt-4.1"));
                o.MaxEscalations = 0;
            })
            .UseBudgets()
            .UseCostMetering());
        stack.Server.Inject([.. Enumerable.Repeat(fault, sdkRetries + 1)]); // every SDK attempt on the first deployment fails

        string text;
        GovernanceRecord record;
        if (streaming)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in stack.Client.GetStreamingResponseAsync("What is 7 plus 7?", s_noCache))
            {
                updates.Add(update);
            }

            var response = updates.ToChatResponse();
            text = response.Text;
            record = updates.Select(u => u.GetGovernance()).Last(g => g is not null)!;
        }
        else
        {
            var response = await stack.Client.GetResponseAsync("What is 7 plus 7?", s_noCache);
            text = response.Text;
            record = response.GetGovernance()!;
        }

        Assert.Contains("Answer to", text, StringComparison.Ordinal);
        Assert.Equal("gpt-4.1-nano", stack.Server.RequestedModels.Last());
        Assert.Contains("failover:gpt-4o-mini", record.Routing!.Reasons);
        Assert.Equal(0m, stack.Reserved);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CallerCancels_WhileFirstDeploymentHangs_PropagatesWithoutFailover(bool streaming)
    {
        await using var stack = await GovernedStack.StartAsync(maxRetries: 0, networkTimeout: TimeSpan.FromSeconds(20), pipeline: p => p
            .UseModelRouting(o =>
            {
                o.Tiers.Add(ModelTier.Of("Small", "gpt-4o-mini", "gpt-4.1-nano"));
                o.Tiers.Add(ModelTier.Of("Large", "gpt-4.1"));
            })
            .UseBudgets()
            .UseCostMetering());
        stack.Server.Inject([Fault.Timeout]);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            if (streaming)
            {
                await foreach (var _ in stack.Client.GetStreamingResponseAsync("What is 7 plus 7?", s_noCache, cts.Token))
                {
                }
            }
            else
            {
                await stack.Client.GetResponseAsync("What is 7 plus 7?", s_noCache, cts.Token);
            }
        });

        Assert.Equal(["gpt-4o-mini"], stack.Server.RequestedModels); // neither failed over nor escalated
        Assert.Equal(0m, stack.Reserved);
    }

    [Fact]
    public void IsTransient_SdkRetryAggregateOfTimeouts_IsTransient()
    {
        var options = new RoutingOptions();
        var aggregate = new AggregateException("Retry failed after 2 tries.", new TaskCanceledException("timeout"), new TaskCanceledException("timeout"));

        Assert.True(options.IsTransient(aggregate));
        Assert.True(options.IsTransient(new TaskCanceledException("The operation was cancelled because it exceeded the configured timeout")));
        Assert.False(options.IsTransient(new AggregateException(new ArgumentException("bad request"))));
    }
}
