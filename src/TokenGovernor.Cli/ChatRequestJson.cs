using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TokenGovernor.Cli;

/// <summary>Reads an OpenAI-style chat request: <c>{"messages":[{"role","content","name"?}], "tools":[...]}</c>.</summary>
internal static class ChatRequestJson
{
    public static (List<ChatMessage> Messages, ChatOptions? Options) Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("--chat input must be a JSON object with a \"messages\" array");
        }

        var list = new List<ChatMessage>();
        foreach (var m in messages.EnumerateArray())
        {
            var role = m.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String
                ? r.GetString()!
                : throw new FormatException($"message {list.Count} has no \"role\"");
            var content = m.TryGetProperty("content", out var c)
                ? c.ValueKind switch
                {
                    JsonValueKind.String => c.GetString() ?? string.Empty,
                    JsonValueKind.Null => string.Empty,
                    JsonValueKind.Array => string.Concat(c.EnumerateArray().Select(p => p.TryGetProperty("text", out var t) ? t.GetString() : null)),
                    _ => throw new FormatException($"message {list.Count}: \"content\" must be a string or an array of parts"),
                }
                : string.Empty;
            var message = new ChatMessage(new ChatRole(role), content);
            if (m.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            {
                message.AuthorName = n.GetString();
            }

            list.Add(message);
        }

        ChatOptions? options = null;
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array)
        {
            options = new ChatOptions { Tools = [] };
            foreach (var tool in tools.EnumerateArray())
            {
                var function = tool.TryGetProperty("function", out var f) ? f : tool;
                var name = function.TryGetProperty("name", out var fn) && fn.ValueKind == JsonValueKind.String
                    ? fn.GetString()!
                    : throw new FormatException("every tool needs a function \"name\"");
                var description = function.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                var schema = function.TryGetProperty("parameters", out var p) ? p.Clone() : JsonDocument.Parse("{}").RootElement.Clone();
                options.Tools.Add(AIFunctionFactory.CreateDeclaration(name, description, schema));
            }
        }

        return (list, options);
    }
}
