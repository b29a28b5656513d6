using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace TokenGovernor.IntegrationTests;

/// <summary>
/// A server speaking the Ollama protocol on a loopback port: <c>POST /api/chat</c> answers one JSON object when
/// <c>"stream": false</c>, else NDJSON chunks ending with a <c>"done": true</c> chunk that carries <c>prompt_eval_count</c> and
/// <c>eval_count</c> (Ollama's usage).
/// </summary>
public sealed class FakeOllamaServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _finals = new();

    private FakeOllamaServer(WebApplication app, Uri address)
    {
        _app = app;
        Endpoint = address;
    }

    public Uri Endpoint { get; }

    public int PromptEvalCount { get; set; } = 26;

    public int EvalCount { get; set; } = 298;

    /// <summary>Gets the final (<c>done</c>) objects the server sent, as JSON.</summary>
    public IReadOnlyList<string> Finals => [.. _finals];

    public static async Task<FakeOllamaServer> StartAsync()
    {
        FakeOllamaServer? server = null;
        var (app, address) = await LoopbackServer.StartAsync(a =>
        {
            a.MapPost("/api/chat", (HttpContext c) => server!.ChatAsync(c));
            a.MapGet("/api/version", () => Results.Json(new { version = "0.12.0" }));
        });
        server = new FakeOllamaServer(app, address);
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ChatAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        var model = (string)body["model"]!;
        var stream = body["stream"]?.GetValue<bool>() ?? true;
        const string createdAt = "2026-11-30T10:00:00.000000Z";
        var final = new JsonObject
        {
            ["model"] = model,
            ["created_at"] = createdAt,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = stream ? "" : "Hello from llama." },
            ["done_reason"] = "stop",
            ["done"] = true,
            ["total_duration"] = 5_191_566_416L,
            ["load_duration"] = 2_154_458L,
            ["prompt_eval_count"] = PromptEvalCount,
            ["prompt_eval_duration"] = 383_809_000L,
            ["eval_count"] = EvalCount,
            ["eval_duration"] = 4_799_921_000L,
        };
        _finals.Enqueue(final.ToJsonString());
        if (!stream)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(final.ToJsonString());
            return;
        }

        context.Response.ContentType = "application/x-ndjson";
        foreach (var piece in new[] { "Hello ", "from ", "llama." })
        {
            await LoopbackServer.WriteLineAsync(context, new JsonObject
            {
                ["model"] = model, ["created_at"] = createdAt,
                ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = piece }, ["done"] = false,
            }.ToJsonString());
        }

        await LoopbackServer.WriteLineAsync(context, final.ToJsonString());
    }
}
