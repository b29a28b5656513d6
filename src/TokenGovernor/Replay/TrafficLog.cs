using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Reads and writes traffic logs: JSON lines, one call per line —
/// <c>{"time","scope":{"tenant","feature","session","run"},"model","messages":[{"role","content"}] | "inputTokens",
/// "maxOutputTokens","answeredModel","usage":{"input","cachedInput","cacheWrite","output","reasoning"},"response","cache","refusal"}</c>.
/// <c>usage.input</c> counts uncached input tokens and <c>usage.output</c> excludes reasoning tokens (TokenGovernor's
/// <see cref="TokenUsage"/> convention). Only <c>time</c> and one of <c>messages</c>/<c>inputTokens</c> are required.
/// </summary>
internal static class TrafficLog
{
    /// <summary>Reads a log. A last line cut off mid-write (a process that stopped while recording) is skipped silently; use
    /// <see cref="Read(TextReader, Action{string})"/> to hear about it.</summary>
    /// <param name="reader">The log's text.</param>
    /// <returns>The entries, in order.</returns>
    /// <exception cref="FormatException">A line other than the last is not a valid entry; the message names the line and the field.</exception>
    public static IEnumerable<TrafficLogEntry> Read(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return ReadCore(reader, null);
    }

    /// <summary>Reads a log, skipping a last line that is cut off mid-write (not complete JSON) and reporting it.</summary>
    /// <param name="reader">The log's text.</param>
    /// <param name="onSkippedLastLine">Told, in one sentence naming the line, when the last line was skipped.</param>
    /// <returns>The entries, in order.</returns>
    /// <exception cref="FormatException">A line other than the last is not a valid entry; the message names the line and the field.</exception>
    public static IEnumerable<TrafficLogEntry> Read(TextReader reader, Action<string> onSkippedLastLine)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(onSkippedLastLine);
        return ReadCore(reader, onSkippedLastLine);
    }

    /// <summary>Parses one line.</summary>
    /// <param name="line">The JSON object.</param>
    /// <returns>The entry.</returns>
    /// <exception cref="FormatException">The line is not a valid entry.</exception>
    public static TrafficLogEntry Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        try
        {
            using var doc = JsonDocument.Parse(line);
            return Parse(doc.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            throw new FormatException($"Not a traffic log entry: {ex.Message}", ex);
        }
    }

    /// <summary>Writes one entry as one line.</summary>
    /// <param name="writer">Where to write.</param>
    /// <param name="entry">The entry.</param>
    public static void Write(TextWriter writer, TrafficLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(entry);
        writer.WriteLine(Serialize(entry));
    }

    /// <summary>Serializes one entry as a single-line JSON object.</summary>
    /// <param name="entry">The entry.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(TrafficLogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("time", entry.Time.ToString("O", CultureInfo.InvariantCulture));
            w.WriteStartObject("scope");
            WriteIf(w, "tenant", entry.Scope.Tenant);
            WriteIf(w, "feature", entry.Scope.Feature);
            WriteIf(w, "session", entry.Scope.Session);
            WriteIf(w, "run", entry.Scope.Run);
            w.WriteEndObject();
            WriteIf(w, "model", entry.ModelId);
            if (entry.Messages is { } messages)
            {
                w.WriteStartArray("messages");
                foreach (var m in messages)
                {
                    w.WriteStartObject();
                    w.WriteString("role", m.Role.Value);
                    w.WriteString("content", m.Text);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            if (entry.InputTokens is { } input)
            {
                w.WriteNumber("inputTokens", input);
            }

            if (entry.MaxOutputTokens is { } max)
            {
                w.WriteNumber("maxOutputTokens", max);
            }

            WriteIf(w, "answeredModel", entry.AnsweredModelId);
            if (entry.Usage is { } u)
            {
                w.WriteStartObject("usage");
                w.WriteNumber("input", u.UncachedInputTokens);
                w.WriteNumber("cachedInput", u.CachedInputTokens);
                w.WriteNumber("cacheWrite", u.CacheWriteTokens);
                w.WriteNumber("output", u.OutputTokens);
                w.WriteNumber("reasoning", u.ReasoningTokens);
                w.WriteEndObject();
            }

            WriteIf(w, "response", entry.ResponseText);
            if (entry.Cache != CacheStatus.None)
            {
                w.WriteString("cache", entry.Cache.ToString().ToLowerInvariant());
            }

            WriteIf(w, "refusal", entry.Refusal);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static IEnumerable<TrafficLogEntry> ReadCore(TextReader reader, Action<string>? onSkippedLastLine)
    {
        var number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            TrafficLogEntry entry;
            try
            {
                entry = Parse(line);
            }
            catch (FormatException ex) when (ex.InnerException is JsonException)
            {
                // The last line of a log whose writer stopped mid-line is cut off (not even JSON): skip it, and only it.
                string? rest;
                do
                {
                    rest = reader.ReadLine();
                }
                while (rest is not null && string.IsNullOrWhiteSpace(rest));

                if (rest is null)
                {
                    onSkippedLastLine?.Invoke($"traffic log line {number} (the last) is not a complete entry and was skipped: {ex.Message}");
                    yield break;
                }

                throw new FormatException($"Traffic log line {number}: {ex.Message}", ex);
            }
            catch (FormatException ex)
            {
                throw new FormatException($"Traffic log line {number}: {ex.Message}", ex);
            }

            yield return entry;
        }
    }

    private static TrafficLogEntry Parse(JsonElement root)
    {
        if (!root.TryGetProperty("time", out var time) || !DateTimeOffset.TryParse(time.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
        {
            throw new FormatException("\"time\" is missing or not an ISO 8601 time such as 2026-11-23T10:00:00Z.");
        }

        var scope = GovernanceScope.Empty;
        if (root.TryGetProperty("scope", out var s) && s.ValueKind == JsonValueKind.Object)
        {
            scope = new GovernanceScope { Tenant = Str(s, "tenant"), Feature = Str(s, "feature"), Session = Str(s, "session"), Run = Str(s, "run") };
        }

        List<ChatMessage>? messages = null;
        if (root.TryGetProperty("messages", out var ms) && ms.ValueKind == JsonValueKind.Array)
        {
            messages = [.. ms.EnumerateArray().Select(m => new ChatMessage(new ChatRole(Str(m, "role") ?? "user"), Str(m, "content") ?? string.Empty))];
        }

        var inputTokens = Int(root, "inputTokens");
        if (messages is null && inputTokens is null)
        {
            throw new FormatException("give \"messages\" (an array of {role, content}) or \"inputTokens\".");
        }

        TokenUsage? usage = null;
        if (root.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object)
        {
            usage = new TokenUsage(Long(u, "input"), Long(u, "cachedInput"), Long(u, "cacheWrite"), Long(u, "output"), Long(u, "reasoning"));
        }

        var cache = Str(root, "cache") is { } c && Enum.TryParse<CacheStatus>(c, ignoreCase: true, out var status) ? status : CacheStatus.None;
        return new TrafficLogEntry
        {
            Time = at,
            Scope = scope,
            ModelId = Str(root, "model"),
            Messages = messages,
            InputTokens = inputTokens,
            MaxOutputTokens = Int(root, "maxOutputTokens"),
            AnsweredModelId = Str(root, "answeredModel"),
            Usage = usage,
            ResponseText = Str(root, "response"),
            Cache = cache,
            Refusal = Str(root, "refusal"),
        };
    }

    private static void WriteIf(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Int(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32() : null;

    private static long Long(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt64() : 0;
}
