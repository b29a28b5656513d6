using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TokenGovernor.Alerts;
using TokenGovernor.Testing;

namespace TokenGovernor.IntegrationTests.Alerts;

/// <summary>Budget alerts POSTed to a real loopback endpoint: a fast one, a slow one and a failing one. The governed call never waits.</summary>
public class WebhookAlertSinkTests
{
    private const decimal Limit = 0.001m;

    [Fact]
    public async Task AddWebhookAlerts_ThresholdCrossed_PostsOneJsonAlert()
    {
        await using var endpoint = await WebhookEndpoint.StartAsync(WebhookEndpoint.Mode.Ok);
        await using var services = Governed(endpoint.Url);
        var client = services.GetRequiredService<IChatClient>();

        await client.GetResponseAsync("hi", Acme());
        var sink = services.GetRequiredService<WebhookAlertSink>();
        await sink.FlushAsync();

        var (contentType, alert) = Assert.Single(endpoint.Received);
        Assert.StartsWith("application/json", contentType, StringComparison.Ordinal);
        Assert.Equal("threshold_crossed", alert.GetProperty("kind").GetString());
        Assert.Equal("tenant-daily", alert.GetProperty("policy").GetString());
        Assert.Equal("acme", alert.GetProperty("key").GetString());
        Assert.Equal(0.5, alert.GetProperty("threshold").GetDouble());
        Assert.Equal(Limit, alert.GetProperty("limit").GetDecimal());
        Assert.Equal("USD", alert.GetProperty("unit").GetString());
        Assert.Equal(1, sink.SentAlerts);
    }

    [Fact]
    public async Task AddWebhookAlerts_CallRefused_PostsRefusedAlertAndCallerStillGetsException()
    {
        await using var endpoint = await WebhookEndpoint.StartAsync(WebhookEndpoint.Mode.Ok);
        await using var services = Governed(endpoint.Url);
        var client = services.GetRequiredService<IChatClient>();
        await client.GetResponseAsync("hi", Acme()); // spends past the limit

        await Assert.ThrowsAsync<BudgetExceededException>(() => client.GetResponseAsync("hi again", Acme()));
        await services.GetRequiredService<WebhookAlertSink>().FlushAsync();

        var refused = Assert.Single(endpoint.Received, r => r.Body.GetProperty("kind").GetString() == "refused").Body;
        Assert.Equal("budget-exhausted", refused.GetProperty("reason").GetString());
        Assert.Equal("acme", refused.GetProperty("tenant").GetString());
        Assert.Equal("support", refused.GetProperty("feature").GetString());
        Assert.Equal("tenant-daily", refused.GetProperty("policy").GetString());
    }

    [Fact]
    public async Task AddWebhookAlerts_CallRateLimited_PostsRefusedAlertInRequestsWithRetryAfter()
    {
        await using var endpoint = await WebhookEndpoint.StartAsync(WebhookEndpoint.Mode.Ok);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 10, 0, 20, TimeSpan.Zero)));
        services.AddTokenGovernor(configure: o => o.Budgets.Add(
                new BudgetPolicy("tenant-rpm") { Level = ScopeLevel.Tenant, RequestLimit = 1, Window = BudgetWindow.Minute }))
            .AddWebhookAlerts(endpoint.Url, o => o.RetryDelay = TimeSpan.Zero);
        services.AddChatClient(TestChatClient.Answering("ok", "gpt-4o-mini", new UsageDetails { InputTokenCount = 10, OutputTokenCount = 20 }))
            .UseBudgets()
            .UseCostMetering();
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IChatClient>();
        await client.GetResponseAsync("hi", Acme());

        await Assert.ThrowsAsync<RateLimitExceededException>(() => client.GetResponseAsync("hi again", Acme()));
        await provider.GetRequiredService<WebhookAlertSink>().FlushAsync();

        var refused = Assert.Single(endpoint.Received, r => r.Body.GetProperty("kind").GetString() == "refused").Body;
        Assert.Equal("rate-limited", refused.GetProperty("reason").GetString());
        Assert.Equal("tenant-rpm", refused.GetProperty("policy").GetString());
        Assert.Equal("requests", refused.GetProperty("unit").GetString());
        Assert.Equal(1m, refused.GetProperty("limit").GetDecimal());
        Assert.Equal(40, refused.GetProperty("retry_after_seconds").GetDouble());
    }

    [Fact]
    public async Task AddWebhookAlerts_SlowEndpoint_CallCompletesWhileAlertIsInFlight()
    {
        await using var endpoint = await WebhookEndpoint.StartAsync(WebhookEndpoint.Mode.Slow);
        await using var services = Governed(endpoint.Url);
        var client = services.GetRequiredService<IChatClient>();
        var sink = services.GetRequiredService<WebhookAlertSink>();

        await client.GetResponseAsync("hi", Acme());
        await endpoint.FirstArrived;

        // The governed call has returned; its alert is still held by the endpoint.
        Assert.Equal(0, sink.SentAlerts);
        endpoint.Release();
        await sink.FlushAsync();
        Assert.Equal(1, sink.SentAlerts);
    }

    [Fact]
    public async Task AddWebhookAlerts_FailingEndpoint_RetriesThenGivesUpWithoutFailingTheCall()
    {
        await using var endpoint = await WebhookEndpoint.StartAsync(WebhookEndpoint.Mode.Failing);
        await using var services = Governed(endpoint.Url, o => o.MaxRetryAttempts = 2);
        var client = services.GetRequiredService<IChatClient>();
        var sink = services.GetRequiredService<WebhookAlertSink>();

        var response = await client.GetResponseAsync("hi", Acme());
        await sink.FlushAsync();

        Assert.NotNull(response.GetGovernance());
        Assert.Equal(3, endpoint.Requests); // the first POST and 2 retries
        Assert.Equal(1, sink.FailedAlerts);
        Assert.Equal(0, sink.SentAlerts);
    }

    [Fact]
    public async Task Publish_QueueFull_DropsAndCountsOnTheAlertsMetric()
    {
        await using var endpoint = await WebhookEndpoint.StartAsync(WebhookEndpoint.Mode.Slow);
        using var http = new HttpClient();
        long dropped = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == TokenGovernorDiagnostics.AlertsInstrument)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "token_governor.alert.outcome", Value: "dropped" })
                {
                    Interlocked.Add(ref dropped, value);
                }
            }
        });
        listener.Start();
        await using var sink = new WebhookAlertSink(http, new WebhookAlertOptions { Url = endpoint.Url, QueueCapacity = 1 });

        sink.Publish(Alert());
        await endpoint.FirstArrived; // the sender holds the first alert
        sink.Publish(Alert()); // queued
        sink.Publish(Alert()); // no room

        Assert.Equal(1, sink.DroppedAlerts);
        Assert.Equal(1, Interlocked.Read(ref dropped));
        endpoint.Release();
        await sink.FlushAsync();
        Assert.Equal(2, sink.SentAlerts);
    }

    [Fact]
    public async Task DisposeAsync_EndpointHangs_GivesUpAfterShutdownTimeout()
    {
        await using var endpoint = await WebhookEndpoint.StartAsync(WebhookEndpoint.Mode.Slow);
        using var http = new HttpClient();
        var time = new FakeTimeProvider();
        var sink = new WebhookAlertSink(http, new WebhookAlertOptions { Url = endpoint.Url, ShutdownTimeout = TimeSpan.FromSeconds(5) }, time);
        sink.Publish(Alert());
        await endpoint.FirstArrived;

        var disposing = sink.DisposeAsync().AsTask();
        Assert.False(disposing.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));
        await disposing;

        Assert.Equal(0, sink.SentAlerts);
        Assert.Equal(1, sink.FailedAlerts);
    }

    [Theory]
    [InlineData("ftp://example.test/hook", "Url")]
    [InlineData("/relative", "Url")]
    public void AddWebhookAlerts_BadUrl_FailsNamingTheSetting(string url, string member)
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<OptionsValidationException>(() => services.AddTokenGovernor().AddWebhookAlerts(new Uri(url, UriKind.RelativeOrAbsolute)));

        Assert.Contains("WebhookAlertOptions." + member, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddWebhookAlerts_OutOfRangeOptions_ListsEveryInvalidMember()
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<OptionsValidationException>(() => services.AddTokenGovernor().AddWebhookAlerts(new Uri("http://127.0.0.1:9/hook"), o =>
        {
            o.QueueCapacity = 0;
            o.AttemptTimeout = TimeSpan.Zero;
        }));

        Assert.Contains("QueueCapacity", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AttemptTimeout", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddWebhookAlerts_OptionsChangedAfterRegistration_ValidatedWhenResolved()
    {
        var services = new ServiceCollection();
        services.AddTokenGovernor().AddWebhookAlerts(new Uri("http://127.0.0.1:9/hook"));
        services.Configure<WebhookAlertOptions>(o => o.MaxRetryAttempts = -1);
        await using var provider = services.BuildServiceProvider();

        var ex = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<WebhookAlertOptions>>().Value);

        Assert.Contains("MaxRetryAttempts", ex.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Governed(Uri url, Action<WebhookAlertOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddTokenGovernor(configure: o => o.Budgets.Add(
                new BudgetPolicy("tenant-daily") { Level = ScopeLevel.Tenant, CostLimit = Limit, SoftThresholds = [0.5] }))
            .AddWebhookAlerts(url, o =>
            {
                o.RetryDelay = TimeSpan.Zero;
                o.UseJitter = false;
                configure?.Invoke(o);
            });

        // 1,000 in + 2,000 out on gpt-4o-mini = $0.00135: the first call crosses 50% (and spends past the limit); the next is refused.
        services.AddChatClient(TestChatClient.Answering("ok", "gpt-4o-mini", new UsageDetails { InputTokenCount = 1000, OutputTokenCount = 2000 }))
            .UseBudgets(configure: o => o.Ladder.Clear())
            .UseCostMetering();
        return services.BuildServiceProvider();
    }

    private static ChatOptions Acme() => new()
    {
        ModelId = "gpt-4o-mini",
        MaxOutputTokens = 500,
        AdditionalProperties = new() { [GovernanceScope.TenantKey] = "acme", [GovernanceScope.FeatureKey] = "support" },
    };

    private static BudgetAlert Alert() => new() { Kind = BudgetAlertKind.ThresholdCrossed, Timestamp = DateTimeOffset.UnixEpoch, Policy = "p", Key = "k", Threshold = 0.8 };
}
