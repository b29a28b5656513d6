using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>The signature of a tool call, by which the loop guard sees a repeat: the tool's name and its arguments as canonical JSON.</summary>
internal static class ToolCallSignature
{
    /// <summary>The signature of <paramref name="call"/>: the same tool with the same arguments, in any order or formatting, gives the same one.</summary>
    public static string Of(FunctionCallContent call) => "call:" + call.Name + ":" + Canonical(call.Arguments);

    /// <summary>Arguments as canonical JSON: object keys sorted, no insignificant whitespace, so argument order and formatting do not hide a repeat.</summary>
    public static string Canonical(IDictionary<string, object?>? arguments)
    {
        if (arguments is null || arguments.Count == 0)
        {
            return "{}";
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (key, value) in arguments.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(key);
                WriteCanonical(writer, value switch
                {
                    null => default,
                    JsonElement e => e,
                    string s => JsonSerializer.SerializeToElement(s, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(string))),
                    _ => JsonSerializer.SerializeToElement(value, AIJsonUtilities.DefaultOptions.GetTypeInfo(value.GetType())),
                });
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteCanonical(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                // A JSON-encoded string that itself holds JSON (some providers double-encode arguments) is compared by content.
                var text = element.GetString()!;
                if (text.Length > 1 && text[0] is '{' or '[')
                {
                    try
                    {
                        using var inner = JsonDocument.Parse(text);
                        WriteCanonical(writer, inner.RootElement);
                        break;
                    }
                    catch (JsonException)
                    {
                    }
                }

                writer.WriteStringValue(text.Trim());
                break;
            case JsonValueKind.Undefined:
                writer.WriteNullValue();
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
