using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TokenGovernor.IntegrationTests;

/// <summary>What the server does with the next request instead of answering it.</summary>
public enum Fault
{
    None,
    RateLimited,
    ServerError,
    Unavailable,
    Timeout,
    DropStream,
    MalformedJson,
    Disconnect,
}

/// <summary>One usage the server reported, to compare with what TokenGovernor metered.</summary>
public sealed record ReportedUsage(string Model, int PromptTokens, int CachedTokens, int CompletionTokens, int ReasoningTokens);

/// <summary>
/// An OpenAI-compatible server on a loopback port, in the test process (Kestrel): chat completions (JSON and SSE with a
/// final usage chunk), tool calls, cached and reasoning token usage, embeddings, and injected faults.
/// </summary>
public sealed class FakeOpenAIServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Fault> _faults = new();
    private readonly ConcurrentQueue<ReportedUsage> _reported = new();
    private int _requests;

    private FakeOpenAIServer(WebApplication app)
    {
        _app = app;
    }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Gets every usage the server reported in a completed answer (a stream only reports it in its last chunk).</summary>
    public IReadOnlyList<ReportedUsage> Reported => [.. _reported];

    /// <summary>Gets how many chat requests arrived (faulted ones included).</summary>
    public int ChatRequests => Volatile.Read(ref _requests);

    /// <summary>Gets the models requested, in order.</summary>
    public ConcurrentQueue<string> RequestedModels { get; } = new();

    /// <summary>Gets or sets the cached prompt tokens reported for each request (as if a provider prompt cache hit).</summary>
    public int CachedTokens { get; set; }

    /// <summary>Gets or sets the reasoning tokens reported for each answer.</summary>
    public int ReasoningTokens { get; set; }

    /// <summary>Gets or sets the seconds a 429 asks the client to wait.</summary>
    public int RetryAfterSeconds { get; set; } = 1;

    public static async Task<FakeOpenAIServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FakeOpenAIServer(app);
        app.MapPost("/v1/chat/completions", server.ChatAsync);
        app.MapPost("/v1/embeddings", server.EmbeddingsAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Endpoint = new Uri(address + "/v1");
        return server;
    }

    /// <summary>Makes the next requests fail, one fault per request, in order.</summary>
    public void Inject(params Fault[] faults)
    {
        foreach (var f in faults)
        {
            _faults.Enqueue(f);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task ChatAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        var model = (string)body["model"]!;
        RequestedModels.Enqueue(model);
        var stream = body["stream"]?.GetValue<bool>() == true;
        var messages = body["messages"]!.AsArray();
        _faults.TryDequeue(out var fault);
        switch (fault)
        {
            case Fault.RateLimited:
                context.Response.StatusCode = 429;
                context.Response.Headers["Retry-After"] = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await context.Response.WriteAsJsonAsync(new { error = new { message = "Rate limit reached", type = "rate_limit_exceeded" } });
                return;
            case Fault.ServerError:
            case Fault.Unavailable:
                context.Response.StatusCode = fault == Fault.ServerError ? 500 : 503;
                await context.Response.WriteAsJsonAsync(new { error = new { message = "The server had an error", type = "server_error" } });
                return;
            case Fault.Timeout:
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return;
            case Fault.Disconnect:
                context.Abort(); // the connection is reset with no response: an I/O error at the client
                return;
            case Fault.MalformedJson when stream:
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync("data: {\"id\": \"chatcmpl-x\", \"choices\": [ {\"delta\": \n\n");
                return;
            case Fault.MalformedJson:
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("{\"id\": \"chatcmpl-x\", \"choices\": [ {\"message\": ");
                return;
        }

        // Deterministic usage: about one token per four characters of the request's messages, plus a fixed answer.
        var prompt = Math.Max(8, messages.ToJsonString().Length / 4);
        var toolName = body["tools"]?.AsArray().FirstOrDefault()?["function"]?["name"]?.GetValue<string>();
        var askTool = toolName is not null && !messages.Any(m => (string?)m!["role"] == "tool");
        var lastUser = messages.LastOrDefault(m => (string?)m!["role"] == "user")?["content"];
        var text = askTool ? null : "Answer to: " + (lastUser is JsonValue v ? v.GetValue<string>() : "the question") + ".";
        var completion = askTool ? 18 : Math.Max(4, text!.Length / 4);
        var usage = new ReportedUsage(model, prompt, Math.Min(CachedTokens, prompt), completion + ReasoningTokens, ReasoningTokens);
        var usageJson = new JsonObject
        {
            ["prompt_tokens"] = usage.PromptTokens,
            ["completion_tokens"] = usage.CompletionTokens,
            ["total_tokens"] = usage.PromptTokens + usage.CompletionTokens,
            ["prompt_tokens_details"] = new JsonObject { ["cached_tokens"] = usage.CachedTokens },
            ["completion_tokens_details"] = new JsonObject { ["reasoning_tokens"] = usage.ReasoningTokens },
        };
        var toolCalls = askTool
            ? new JsonArray(new JsonObject
            {
                ["id"] = "call_1",
                ["type"] = "function",
                ["function"] = new JsonObject { ["name"] = toolName, ["arguments"] = "{\"city\":\"Paris\"}" },
            })
            : null;
        var finish = askTool ? "tool_calls" : "stop";

        if (!stream)
        {
            var message = new JsonObject { ["role"] = "assistant", ["content"] = text };
            if (toolCalls is not null)
            {
                message["tool_calls"] = toolCalls;
            }

            var response = new JsonObject
            {
                ["id"] = "chatcmpl-" + Guid.NewGuid().ToString("N"),
                ["object"] = "chat.completion",
                ["created"] = 1_763_900_000,
                ["model"] = model,
                ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["message"] = message, ["finish_reason"] = finish }),
                ["usage"] = usageJson,
            };
            _reported.Enqueue(usage);
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(response.ToJsonString());
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        var chunks = new List<JsonObject>();
        if (toolCalls is not null)
        {
            var call = (JsonObject)toolCalls[0]!.DeepClone();
            call["index"] = 0;
            chunks.Add(Chunk(id, model, new JsonObject { ["role"] = "assistant", ["tool_calls"] = new JsonArray(call) }, null));
        }
        else
        {
            chunks.Add(Chunk(id, model, new JsonObject { ["role"] = "assistant", ["content"] = "" }, null));
            foreach (var piece in Pieces(text!))
            {
                chunks.Add(Chunk(id, model, new JsonObject { ["content"] = piece }, null));
            }
        }

        chunks.Add(Chunk(id, model, new JsonObject(), finish));
        var includeUsage = body["stream_options"]?["include_usage"]?.GetValue<bool>() == true;
        var sent = 0;
        foreach (var chunk in chunks)
        {
            if (fault == Fault.DropStream && sent == 2)
            {
                // Let the client read what was sent (a reset discards unread bytes), then drop the connection mid-stream.
                await Task.Delay(300);
                context.Abort();
                return;
            }

            await WriteEventAsync(context, chunk.ToJsonString());
            sent++;
        }

        if (includeUsage)
        {
            await WriteEventAsync(context, new JsonObject
            {
                ["id"] = id,
                ["object"] = "chat.completion.chunk",
                ["created"] = 1_763_900_000,
                ["model"] = model,
                ["choices"] = new JsonArray(),
                ["usage"] = usageJson,
            }.ToJsonString());
            _reported.Enqueue(usage);
        }

        await WriteEventAsync(context, "[DONE]");
    }

    private async Task EmbeddingsAsync(HttpContext context)
    {
        var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
        var inputs = body["input"] is JsonArray array ? array.Select(i => i!.GetValue<string>()).ToList() : [body["input"]!.GetValue<string>()];
        var data = new JsonArray();
        var tokens = 0;
        for (var i = 0; i < inputs.Count; i++)
        {
            // A deterministic bag-of-words vector, so paraphrases land close together.
            var vector = new float[64];
            foreach (var word in inputs[i].ToUpperInvariant().Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                vector[(int)((uint)StringComparer.Ordinal.GetHashCode(word.Trim('?', '.', ',', '!')) % 64)] += 1;
            }

            tokens += inputs[i].Length / 4;
            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = new JsonArray([.. vector.Select(f => (JsonNode)f)]) });
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = (string?)body["model"] ?? "text-embedding-3-small",
            ["usage"] = new JsonObject { ["prompt_tokens"] = tokens, ["total_tokens"] = tokens },
        }.ToJsonString());
    }

    private static JsonObject Chunk(string id, string model, JsonObject delta, string? finish) => new()
    {
        ["id"] = id,
        ["object"] = "chat.completion.chunk",
        ["created"] = 1_763_900_000,
        ["model"] = model,
        ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["delta"] = delta, ["finish_reason"] = finish }),
    };

    private static IEnumerable<string> Pieces(string text)
    {
        for (var i = 0; i < text.Length; i += 6)
        {
            yield return text.Substring(i, Math.Min(6, text.Length - i));
        }
    }

    private static async Task WriteEventAsync(HttpContext context, string data)
    {
        await context.Response.WriteAsync("data: " + data + "\n\n", Encoding.UTF8);
        await context.Response.Body.FlushAsync();
    }
}
