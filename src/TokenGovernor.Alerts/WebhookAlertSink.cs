using System.Diagnostics.Metrics;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenGovernor.Alerts;

/// <summary>
/// An <see cref="IBudgetAlertSink"/> that POSTs every alert as one JSON object to a webhook, from a background task: the call only
/// enqueues the alert (no I/O, no wait). Register it with <c>services.AddTokenGovernor().AddWebhookAlerts(url)</c>, which gives its
/// <see cref="HttpClient"/> the retry and timeout pipeline of <c>Microsoft.Extensions.Http.Resilience</c>.
/// </summary>
/// <remarks>
/// <para>The body: <c>{"kind": "threshold_crossed" | "refused", "timestamp", "tenant"?, "feature"?, "session"?, "run"?, "policy"?,
/// "key"?, "reason"?, "threshold"?, "utilization"?, "spent"?, "limit"?, "unit"?, "window_resets_at"?}</c>, with
/// <c>Content-Type: application/json</c>.</para>
/// <para>Alerts are sent one at a time, in order. A POST that still fails after the client's retries is given up, logged
/// (event 7212) and counted; an alert that finds the queue full is dropped, logged (7211, on the 1st, 2nd, 4th, … drop) and counted.
/// Neither ever fails or slows a call. Both are counted on <c>token_governor.alerts</c>, tagged <c>token_governor.alert.kind</c> and
/// <c>token_governor.alert.outcome</c> = <c>sent</c> | <c>failed</c> | <c>dropped</c>.</para>
/// <para>Dispose it (the container does) to send what is still queued, waiting at most <see cref="WebhookAlertOptions.ShutdownTimeout"/>.
/// Thread-safe.</para>
/// </remarks>
public sealed class WebhookAlertSink : IBudgetAlertSink, IAsyncDisposable, IDisposable
{
    private static readonly Meter s_meter = new(TokenGovernorDiagnostics.MeterName);
    private static readonly MediaTypeHeaderValue s_json = new("application/json") { CharSet = "utf-8" };

    private readonly HttpClient _http;
    private readonly WebhookAlertOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Counter<long> _alerts;
    private readonly Channel<QueueItem> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sender;
    private long _sent;
    private long _failed;
    private long _dropped;
    private int _disposed;

    /// <summary>Initializes a new sink and starts its sender.</summary>
    /// <param name="httpClient">Sends the POSTs; retries and timeouts are whatever its handlers do (<c>AddWebhookAlerts</c> sets them up).</param>
    /// <param name="options">The options (copied).</param>
    /// <param name="timeProvider">The clock for the shutdown wait; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Logs dropped and failed alerts.</param>
    /// <param name="meterFactory">Creates the <c>TokenGovernor</c> meter; without one a shared meter is used.</param>
    /// <exception cref="ArgumentNullException"><paramref name="httpClient"/> or <paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public WebhookAlertSink(HttpClient httpClient, WebhookAlertOptions options, TimeProvider? timeProvider = null, ILogger? logger = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Clone();
        WebhookAlertOptionsValidator.ThrowIfInvalid(_options);
        _http = httpClient;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        var meter = meterFactory?.Create(new MeterOptions(TokenGovernorDiagnostics.MeterName)) ?? s_meter;
        _alerts = meter.CreateCounter<long>(TokenGovernorDiagnostics.AlertsInstrument, "{alert}",
            "Budget alerts handed to the webhook, tagged kind and outcome=sent|failed|dropped.");
        _queue = Channel.CreateBounded<QueueItem>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of waiting: the alert is counted as dropped
        });
        _sender = Task.Run(SendLoopAsync);
    }

    /// <summary>Gets how many alerts the endpoint accepted (a 2xx answer).</summary>
    public long SentAlerts => Interlocked.Read(ref _sent);

    /// <summary>Gets how many alerts were given up after the client's retries (an error status, a network error or a timeout).</summary>
    public long FailedAlerts => Interlocked.Read(ref _failed);

    /// <summary>Gets how many alerts were dropped because the queue was full (or the sink disposed).</summary>
    public long DroppedAlerts => Interlocked.Read(ref _dropped);

    /// <summary>Gets how many alerts wait to be sent.</summary>
    public int QueuedAlerts => _queue.Reader.Count;

    /// <inheritdoc />
    public void Publish(BudgetAlert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (_queue.Writer.TryWrite(new QueueItem(alert, null)))
        {
            return;
        }

        var dropped = Interlocked.Increment(ref _dropped);
        Count(alert.Kind, "dropped");
        if ((dropped & (dropped - 1)) == 0)
        {
            WebhookAlertLog.QueueFull(_logger, _options.QueueCapacity, dropped); // 1st, 2nd, 4th, 8th, … drop: visible, never a flood
        }
    }

    /// <summary>Returns when every alert queued before the call has been sent or given up.</summary>
    /// <param name="cancellationToken">Stops waiting (the alerts are still sent).</param>
    /// <returns>A task that completes when what was queued before the call has been handled.</returns>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        var marker = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new QueueItem(null, marker)))
        {
            // Full or completed: wait for the queue to drain below capacity, then place the marker.
            while (!_queue.Writer.TryWrite(new QueueItem(null, marker)))
            {
                if (!await _queue.Writer.WaitToWriteAsync(cancellationToken).ConfigureAwait(false))
                {
                    await _sender.WaitAsync(cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
        }

        await marker.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops accepting alerts and sends what is queued, waiting at most <see cref="WebhookAlertOptions.ShutdownTimeout"/>.</summary>
    /// <returns>A task that completes when the sender has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _sender.ConfigureAwait(false);
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            await _sender.WaitAsync(_options.ShutdownTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            WebhookAlertLog.AbandonedAtShutdown(_logger, _queue.Reader.Count + 1, _options.ShutdownTimeout);
            await _stop.CancelAsync().ConfigureAwait(false);
            await _sender.ConfigureAwait(false);
        }

        _stop.Dispose();
    }

    /// <summary>Stops accepting alerts and blocks until what is queued is sent (at most <see cref="WebhookAlertOptions.ShutdownTimeout"/>).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private async Task SendLoopAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var item))
            {
                if (item.Flushed is { } flushed)
                {
                    flushed.TrySetResult();
                }
                else if (_stop.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _dropped);
                    Count(item.Alert!.Kind, "dropped");
                }
                else
                {
                    await SendAsync(item.Alert!).ConfigureAwait(false);
                }
            }
        }
    }

    private async Task SendAsync(BudgetAlert alert)
    {
        int? status = null;
        Exception? error = null;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _options.Url);
            request.Content = new ByteArrayContent(WebhookAlertJson.Serialize(alert));
            request.Content.Headers.ContentType = s_json;
            foreach (var header in _options.Headers)
            {
                request.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref _sent);
                Count(alert.Kind, "sent");
                return;
            }

            status = (int)response.StatusCode;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            error = ex;
        }

        Interlocked.Increment(ref _failed);
        Count(alert.Kind, "failed");
        WebhookAlertLog.DeliveryFailed(_logger, error, alert.Kind, _options.Url!, status);
    }

    private void Count(BudgetAlertKind kind, string outcome)
    {
        if (_alerts.Enabled)
        {
            _alerts.Add(1,
                new KeyValuePair<string, object?>("token_governor.alert.kind", kind == BudgetAlertKind.ThresholdCrossed ? "threshold_crossed" : "refused"),
                new KeyValuePair<string, object?>("token_governor.alert.outcome", outcome));
        }
    }

    /// <summary>An alert, or a flush request that travels through the queue in order with the alerts.</summary>
    private readonly record struct QueueItem(BudgetAlert? Alert, TaskCompletionSource? Flushed);
}
