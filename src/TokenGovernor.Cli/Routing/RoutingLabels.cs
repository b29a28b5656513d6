using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TokenGovernor.Cli;

/// <summary>
/// Reads labelled routing lines: <c>{"prompt" | "messages", "weak_correct": bool, "strong_correct": bool}</c> (two tiers, named by
/// <c>--tiers</c>, default Small,Large) or <c>{"prompt" | "messages", "quality": {"&lt;tier&gt;": 0..1, ...}}</c>. Other fields are
/// ignored, except <c>subject</c>, which <c>route eval</c> uses to split by topic.
/// </summary>
internal static class RoutingLabels
{
    /// <summary>The tier names of the two-tier form when <c>--tiers</c> is not given: the default routing tiers' cheapest and
    /// their strongest non-reasoning tier, so a router trained on that form runs under the default <see cref="RoutingOptions"/>.</summary>
    public static readonly string[] DefaultTwoTiers = ["Small", "Large"];

    public static async Task<List<(RoutingExample Example, string? Subject)>> ReadAsync(string path, IReadOnlyList<string> twoTierNames)
    {
        CliApp.RequireFile(path, "--labels");
        var result = new List<(RoutingExample, string?)>();
        await foreach (var (lineNumber, line) in CliApp.ReadLinesAsync(path))
        {
            try
            {
                result.Add(Parse(line, twoTierNames));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
            {
                throw new CliUsageException($"{path} line {lineNumber}: expected {{\"prompt\" or \"messages\", \"weak_correct\": bool, \"strong_correct\": bool}} or {{\"prompt\" or \"messages\", \"quality\": {{\"<tier>\": 0..1}}}}: {CliApp.OneLine(ex.Message)}");
            }
        }

        return result;
    }

    private static (RoutingExample, string?) Parse(string line, IReadOnlyList<string> twoTierNames)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("the line is not a JSON object");
        }

        List<ChatMessage> messages = root.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String
            ? [new ChatMessage(ChatRole.User, prompt.GetString())]
            : root.TryGetProperty("messages", out _)
                ? ChatRequestJson.Parse(line).Messages
                : throw new FormatException("it has neither \"prompt\" nor \"messages\"");
        var quality = new Dictionary<string, double>(StringComparer.Ordinal);
        if (root.TryGetProperty("quality", out var q))
        {
            if (q.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("\"quality\" must be an object of tier name to a number in [0, 1]");
            }

            foreach (var tier in q.EnumerateObject())
            {
                var value = tier.Value.ValueKind switch
                {
                    JsonValueKind.Number => tier.Value.GetDouble(),
                    JsonValueKind.True => 1,
                    JsonValueKind.False => 0,
                    _ => throw new FormatException($"quality of \"{tier.Name}\" must be a number in [0, 1]"),
                };
                quality[tier.Name] = value is >= 0 and <= 1 ? value : throw new FormatException($"quality of \"{tier.Name}\" is {value}; it must be in [0, 1]");
            }
        }
        else if (root.TryGetProperty("weak_correct", out var weak) && root.TryGetProperty("strong_correct", out var strong))
        {
            quality[twoTierNames[0]] = weak.GetBoolean() ? 1 : 0;
            quality[twoTierNames[^1]] = strong.GetBoolean() ? 1 : 0;
        }
        else
        {
            throw new FormatException("it has neither \"quality\" nor both \"weak_correct\" and \"strong_correct\"");
        }

        var subject = root.TryGetProperty("subject", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        return (new RoutingExample(messages, quality), subject);
    }
}
