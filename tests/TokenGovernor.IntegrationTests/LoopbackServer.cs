using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TokenGovernor.IntegrationTests;

/// <summary>The Kestrel plumbing the provider fakes share, the same way <see cref="FakeOpenAIServer"/> starts: an in-process app
/// on a free loopback port, no logging, and SSE/NDJSON writers that flush each event.</summary>
internal static class LoopbackServer
{
    public static async Task<(WebApplication App, Uri Address)> StartAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address));
    }

    public static async Task WriteSseAsync(HttpContext context, string eventName, string json)
    {
        await context.Response.WriteAsync($"event: {eventName}\ndata: {json}\n\n");
        await context.Response.Body.FlushAsync();
    }

    public static async Task WriteLineAsync(HttpContext context, string json)
    {
        await context.Response.WriteAsync(json + "\n");
        await context.Response.Body.FlushAsync();
    }
}
