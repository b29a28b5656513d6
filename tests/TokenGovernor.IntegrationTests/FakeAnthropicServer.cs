using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TokenGovernor.IntegrationTests;

/// <summary>
/// A server speaking Anthropic's Messages API on a loopback port: <c>POST /v1/messages</c> answers JSON, or SSE
/// (<c>message_start</c> … <c>message_delta</c> … <c>message_stop</c>) when <c>"stream": true</c>, with the usage block set by the
/// test — prompt-cache reads, cache writes split by TTL (<c>cache_creation.ephemeral_5m/1h_input_tokens</c>) and web searches.
/// </summary>
public sealed class FakeAnthropicServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _usages = new();

    private FakeAnthropicServer(WebApplication app, Uri address)
    {
        _app = app;
        BaseUrl = address.ToString().TrimEnd('/');
    }

    /// <summary>Gets the base URL to give the SDK (<c>ClientOptions.BaseUrl</c>).</summary>
    public string BaseUrl { get; }

    /// <summary>Gets or sets the usage block the next answers report, as Anthropic writes it.</summary>
    public JsonObject Usage { get; set; } = new() { ["input_tokens"] = 10, ["output_tokens"] = 5 };

    /// <summary>Gets each usage block the server sent in a completed answer (for a stream: the merged start and delta usage).</summary>
    public IReadOnlyList<string> SentUsages => [.. _usages];

    public static async Task<FakeAnthropicServer> StartAsync()
    {
        FakeAnthropicServer? server = null;
        var (app, address) = await LoopbackServer.StartAsync(a => a.MapPost("/v1/messages", (HttpContext c) => server!.MessagesAsync(c)));
        server = new FakeAnthropicServer(app, address);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task MessagesAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        var model = (string)body["model"]!;
        var stream = body["stream"]?.GetValue<bool>() == true;
        var id = "msg_" + Guid.NewGuid().ToString("N")[..20];
        const string text = "Paris is the capital of France.";
        var usage = (JsonObject)Usage.DeepClone();
        _usages.Enqueue(usage.ToJsonString());

        if (!stream)
        {
            var message = new JsonObject
            {
                ["id"] = id,
                ["type"] = "message",
                ["role"] = "assistant",
                ["model"] = model,
                ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = text }),
                ["stop_reason"] = "end_turn",
                ["stop_sequence"] = null,
                ["usage"] = usage,
            };
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(message.ToJsonString());
            return;
        }

        // As the API streams: message_start carries the input side (and output_tokens 1), message_delta the cumulative output.
        var startUsage = (JsonObject)usage.DeepClone();
        startUsage["output_tokens"] = 1;
        startUsage.Remove("server_tool_use");
        var deltaUsage = new JsonObject { ["output_tokens"] = usage["output_tokens"]!.DeepClone() };
        if (usage["server_tool_use"] is { } tools)
        {
            deltaUsage["server_tool_use"] = tools.DeepClone();
        }

        context.Response.ContentType = "text/event-stream";
        await LoopbackServer.WriteSseAsync(context, "message_start", new JsonObject
        {
            ["type"] = "message_start",
            ["message"] = new JsonObject
            {
                ["id"] = id, ["type"] = "message", ["role"] = "assistant", ["model"] = model, ["content"] = new JsonArray(),
                ["stop_reason"] = null, ["stop_sequence"] = null, ["usage"] = startUsage,
            },
        }.ToJsonString());
        await LoopbackServer.WriteSseAsync(context, "content_block_start",
            """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""");
        foreach (var piece in new[] { "Paris is ", "the capital ", "of France." })
        {
            await LoopbackServer.WriteSseAsync(context, "content_block_delta", new JsonObject
            {
                ["type"] = "content_block_delta", ["index"] = 0, ["delta"] = new JsonObject { ["type"] = "text_delta", ["text"] = piece },
            }.ToJsonString());
        }

        await LoopbackServer.WriteSseAsync(context, "content_block_stop", """{"type":"content_block_stop","index":0}""");
        await LoopbackServer.WriteSseAsync(context, "message_delta", new JsonObject
        {
            ["type"] = "message_delta", ["delta"] = new JsonObject { ["stop_reason"] = "end_turn", ["stop_sequence"] = null }, ["usage"] = deltaUsage,
        }.ToJsonString());
        await LoopbackServer.WriteSseAsync(context, "message_stop", """{"type":"message_stop"}""");
    }
}
