using System.Buffers;
using System.IO.Hashing;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Writes the parts of a chat request that change its answer as canonical UTF-8 JSON, for cache keys and partitions:
/// scope partition, requested model, options, tool definitions and messages. Keys are a 128-bit XxHash of these bytes; a
/// hit compares the full bytes, so a crafted collision can never serve another request's answer.
/// </summary>
internal sealed class CanonicalRequest
{
    [ThreadStatic]
    private static CanonicalRequest? t_cached;

    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);
    private readonly int[] _floatBits = new int[4];
    private readonly byte[]?[] _floatBytes = new byte[4][];
    private int _nextFloat;
    private readonly Utf8JsonWriter _writer;

    private CanonicalRequest()
    {
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

    public static CanonicalRequest Rent()
    {
        var writer = t_cached ?? new CanonicalRequest();
        t_cached = null;
        writer._buffer.ResetWrittenCount();
        writer._writer.Reset(writer._buffer);
        return writer;
    }

    public static void Return(CanonicalRequest writer)
    {
        if (writer._buffer.Capacity <= 1024 * 1024)
        {
            t_cached = writer;
        }
    }

    public UInt128 Hash() => XxHash128.HashToUInt128(_buffer.WrittenSpan);

    /// <summary><paramref name="prefix"/> and the hash of what was written as 32 lower-case hex digits (the same string as
    /// <c>$"{prefix}{Hash():x32}"</c>, without the general number formatting, which parses the format on every call).</summary>
    public string HashKey(string prefix)
    {
        var hash = Hash();
        return string.Create(prefix.Length + 32, (prefix, High: (ulong)(hash >> 64), Low: (ulong)hash), static (span, state) =>
        {
            state.prefix.CopyTo(span);
            var digits = span[state.prefix.Length..];
            var (high, low) = (state.High, state.Low);
            for (var i = 15; i >= 0; i--)
            {
                digits[i] = "0123456789abcdef"[(int)(high & 0xF)];
                digits[i + 16] = "0123456789abcdef"[(int)(low & 0xF)];
                high >>= 4;
                low >>= 4;
            }
        });
    }

    /// <summary>The exact-cache key: everything that can change the answer.</summary>
    public void WriteExact(GovernanceScope scope, string? model, IList<ChatMessage> messages, ChatOptions? options)
    {
        var w = _writer;
        w.WriteStartArray();
        w.WriteStringValue("exact-v1");
        w.WriteStringValue(scope.Tenant);
        w.WriteStringValue(model);
        WriteOptions(options, includeTools: true);
        w.WriteStartArray();
        for (var i = 0; i < messages.Count; i++)
        {
            WriteMessage(messages[i]);
        }

        w.WriteEndArray();
        w.WriteEndArray();
        w.Flush();
    }

    /// <summary>The semantic partition: everything but the last user turn's text, with at most <paramref name="depth"/> earlier messages.</summary>
    public void WritePartition(GovernanceScope scope, string? model, IList<ChatMessage> messages, int lastUser, ChatOptions? options, int depth)
    {
        var w = _writer;
        w.WriteStartArray();
        w.WriteStringValue("semantic-v1");
        w.WriteStringValue(scope.Tenant);
        w.WriteStringValue(model);
        WriteOptions(options, includeTools: true);

        // Every system message (the system prompt defines the answer), then the last `depth` other messages before the question.
        w.WriteStartArray();
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role == ChatRole.System)
            {
                WriteMessage(messages[i]);
            }
        }

        w.WriteEndArray();
        w.WriteStartArray();
        var first = lastUser;
        for (var taken = 0; first > 0 && taken < depth; first--)
        {
            if (messages[first - 1].Role != ChatRole.System)
            {
                taken++;
            }
        }

        for (var i = first; i < lastUser; i++)
        {
            if (messages[i].Role != ChatRole.System)
            {
                WriteMessage(messages[i]);
            }
        }

        w.WriteEndArray();
        w.WriteNumberValue(lastUser == 0 ? 0 : 1); // whether anything precedes the question beyond what is written
        w.WriteEndArray();
        w.Flush();
    }

    private void WriteOptions(ChatOptions? o, bool includeTools)
    {
        var w = _writer;
        w.WriteStartObject();
        if (o is not null)
        {
            WriteString("instructions", o.Instructions);
            WriteFloat("temperature", o.Temperature);
            WriteFloat("topP", o.TopP);
            WriteInt("topK", o.TopK);
            WriteInt("maxOutputTokens", o.MaxOutputTokens);
            WriteFloat("frequencyPenalty", o.FrequencyPenalty);
            WriteFloat("presencePenalty", o.PresencePenalty);
            if (o.Seed is { } seed)
            {
                w.WriteNumber("seed", seed);
            }

            if (o.StopSequences is { Count: > 0 } stops)
            {
                w.WriteStartArray("stop");
                foreach (var stop in stops)
                {
                    w.WriteStringValue(stop);
                }

                w.WriteEndArray();
            }

            if (o.Reasoning is { } reasoning)
            {
                WriteString("reasoningEffort", reasoning.Effort?.ToString());
                WriteString("reasoningOutput", reasoning.Output?.ToString());
            }

            switch (o.ResponseFormat)
            {
                case ChatResponseFormatJson json:
                    w.WritePropertyName("format");
                    w.WriteStartArray();
                    w.WriteStringValue("json");
                    w.WriteStringValue(json.SchemaName);
                    if (json.Schema is { } schema)
                    {
                        schema.WriteTo(w);
                    }

                    w.WriteEndArray();
                    break;
                case ChatResponseFormatText:
                    WriteString("format", "text");
                    break;
            }

            WriteString("toolMode", o.ToolMode switch
            {
                null => null,
                RequiredChatToolMode r => "required:" + r.RequiredFunctionName,
                NoneChatToolMode => "none",
                _ => "auto",
            });

            if (includeTools && o.Tools is { Count: > 0 } tools)
            {
                w.WriteStartArray("tools");
                foreach (var tool in tools)
                {
                    w.WriteStartArray();
                    w.WriteStringValue(tool.Name);
                    w.WriteStringValue(tool.Description);
                    if (tool is AIFunctionDeclaration f)
                    {
                        f.JsonSchema.WriteTo(w);
                    }
                    else
                    {
                        w.WriteStringValue(tool.GetType().FullName);
                    }

                    w.WriteEndArray();
                }

                w.WriteEndArray();
            }

            if (o.AdditionalProperties is { Count: > 0 } extra)
            {
                // Provider-specific knobs can change the answer; TokenGovernor's own keys (scope, bypass) do not.
                w.WriteStartObject("extra");
                foreach (var kv in extra.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    if (!kv.Key.StartsWith("tokengovernor.", StringComparison.Ordinal))
                    {
                        w.WriteString(kv.Key, Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture));
                    }
                }

                w.WriteEndObject();
            }
        }

        w.WriteEndObject();
    }

    private void WriteMessage(ChatMessage message)
    {
        var w = _writer;
        w.WriteStartArray();
        w.WriteStringValue(message.Role.Value);
        w.WriteStringValue(message.AuthorName);
        foreach (var content in message.Contents)
        {
            switch (content)
            {
                case TextContent t:
                    w.WriteStringValue(t.Text);
                    break;
                case TextReasoningContent:
                    break;
                case FunctionCallContent call:
                    w.WriteStartArray();
                    w.WriteStringValue("call");
                    w.WriteStringValue(call.CallId);
                    w.WriteStringValue(call.Name);
                    w.WriteStringValue(call.Arguments is null ? null : JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(IDictionary<string, object?>))));
                    w.WriteEndArray();
                    break;
                case FunctionResultContent result:
                    w.WriteStartArray();
                    w.WriteStringValue("result");
                    w.WriteStringValue(result.CallId);
                    w.WriteStringValue(result.Result switch
                    {
                        null => null,
                        string s => s,
                        JsonElement e => e.GetRawText(),
                        var other => JsonSerializer.Serialize(other, AIJsonUtilities.DefaultOptions.GetTypeInfo(other.GetType())),
                    });
                    w.WriteEndArray();
                    break;
                case DataContent data:
                    w.WriteStartArray();
                    w.WriteStringValue("data");
                    w.WriteStringValue(data.MediaType);
                    w.WriteStringValue(Convert.ToHexString(XxHash128.Hash(data.Data.Span)));
                    w.WriteEndArray();
                    break;
                case UriContent uri:
                    w.WriteStartArray();
                    w.WriteStringValue("uri");
                    w.WriteStringValue(uri.Uri.ToString());
                    w.WriteEndArray();
                    break;
                default:
                    // Unknown content cannot be compared safely: make the key unique so it never matches another request.
                    w.WriteStringValue("unique:" + Guid.NewGuid().ToString("N"));
                    break;
            }
        }

        w.WriteEndArray();
    }

    private void WriteString(string name, string? value)
    {
        if (value is not null)
        {
            _writer.WriteString(name, value);
        }
    }

    private void WriteFloat(string name, float? value)
    {
        if (value is not { } v)
        {
            return;
        }

        if (!float.IsFinite(v))
        {
            _writer.WriteNumber(name, v);
            return;
        }

        // Formatting a float (shortest round-trip digits) is most of an option's cost, and requests repeat the same few values
        // (temperature, top-p): the last four are kept as the bytes Utf8JsonWriter writes for them, and written raw.
        var bits = BitConverter.SingleToInt32Bits(v);
        byte[]? bytes = null;
        for (var i = 0; i < _floatBits.Length; i++)
        {
            if (_floatBytes[i] is { } cached && _floatBits[i] == bits)
            {
                bytes = cached;
                break;
            }
        }

        if (bytes is null)
        {
            bytes = FormatFloat(v);
            _floatBits[_nextFloat] = bits;
            _floatBytes[_nextFloat] = bytes;
            _nextFloat = (_nextFloat + 1) % _floatBits.Length;
        }

        _writer.WritePropertyName(name);
        _writer.WriteRawValue(bytes, skipInputValidation: true);
    }

    /// <summary>The bytes <see cref="Utf8JsonWriter.WriteNumberValue(float)"/> writes for <paramref name="value"/>.</summary>
    internal static byte[] FormatFloat(float value)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            writer.WriteNumberValue(value);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void WriteInt(string name, int? value)
    {
        if (value is { } v)
        {
            _writer.WriteNumber(name, v);
        }
    }
}
