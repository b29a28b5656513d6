using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TokenGovernor.IntegrationTests.Alerts;

/// <summary>A real HTTP endpoint on a free loopback port that records every POST. It can answer at once, hold each answer until
/// <see cref="Release"/> (a slow endpoint), or always fail with 500.</summary>
internal sealed class WebhookEndpoint : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _requests;

    private WebhookEndpoint(WebApplication app, Uri url, Mode mode)
    {
        _app = app;
        Url = url;
        EndpointMode = mode;
    }

    public enum Mode
    {
        Ok,
        Slow,
        Failing,
    }

    public Uri Url { get; }

    public Mode EndpointMode { get; }

    public int Requests => Volatile.Read(ref _requests);

    public ConcurrentQueue<(string ContentType, JsonElement Body)> Received { get; } = new();

    /// <summary>Completes when the first POST has arrived (and, for a slow endpoint, is being held).</summary>
    public Task FirstArrived => _firstArrived.Task;

    public static async Task<WebhookEndpoint> StartAsync(Mode mode)
    {
        WebhookEndpoint? endpoint = null;
        var (app, address) = await LoopbackServer.StartAsync(a => a.MapPost("/hook", (HttpContext context) => endpoint!.HandleAsync(context)));
        endpoint = new WebhookEndpoint(app, new Uri(address, "/hook"), mode);
        return endpoint;
    }

    public void Release() => _gate.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        Received.Enqueue((context.Request.ContentType ?? "", body.RootElement.Clone()));
        Interlocked.Increment(ref _requests);
        _firstArrived.TrySetResult();
        switch (EndpointMode)
        {
            case Mode.Slow:
                await _gate.Task.WaitAsync(context.RequestAborted);
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
            case Mode.Failing:
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status204NoContent;
                break;
        }
    }
}
