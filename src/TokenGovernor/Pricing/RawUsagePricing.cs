using System.ClientModel.Primitives;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Prices a call from the provider's own usage block when the response carries its raw representation (the SDK object or JSON
/// the adapter got), so cache-write TTLs, service tiers and web searches that M.E.AI's <see cref="UsageDetails"/> drops are still
/// billed. The provider's name in <see cref="ChatClientMetadata"/> picks the parser; everything else falls back to
/// <see cref="UsageDetails"/> and the configured <see cref="UsageConvention"/>.
/// </summary>
internal static class RawUsagePricing
{
    /// <summary>The parser for a client's <see cref="ChatClientMetadata.ProviderName"/>.</summary>
    public static ProviderUsageFormat FormatFor(string? providerName) => providerName?.ToLowerInvariant() switch
    {
        null => ProviderUsageFormat.Auto,
        var p when p.Contains("anthropic", StringComparison.Ordinal) => ProviderUsageFormat.Anthropic,
        var p when p.Contains("gemini", StringComparison.Ordinal) || p.Contains("google", StringComparison.Ordinal) || p.Contains("vertex", StringComparison.Ordinal) => ProviderUsageFormat.Gemini,
        var p when p.Contains("ollama", StringComparison.Ordinal) => ProviderUsageFormat.Ollama,
        var p when p.Contains("openrouter", StringComparison.Ordinal) => ProviderUsageFormat.OpenRouter,
        var p when p.Contains("deepseek", StringComparison.Ordinal) => ProviderUsageFormat.DeepSeek,
        var p when p.Contains("mistral", StringComparison.Ordinal) => ProviderUsageFormat.Mistral,
        var p when p.Contains("bedrock", StringComparison.Ordinal) || p.Contains("aws", StringComparison.Ordinal) => ProviderUsageFormat.Bedrock,
        _ => ProviderUsageFormat.Auto,
    };

    /// <summary>Reads the usage block out of a response's raw representation, when it has one this library can read as JSON.</summary>
    /// <param name="raw"><c>ChatResponse.RawRepresentation</c> or a streaming update's.</param>
    /// <param name="format">The provider's convention.</param>
    /// <param name="usage">The usage, when found.</param>
    /// <returns><see langword="true"/> when a usage block was read.</returns>
    public static bool TryRead(object? raw, ProviderUsageFormat format, out ProviderUsage? usage)
    {
        usage = null;
        if (raw is null)
        {
            return false;
        }

        try
        {
            switch (raw)
            {
                case JsonElement element:
                    return TryParse(element, format, out usage);
                case JsonDocument document:
                    return TryParse(document.RootElement, format, out usage);
                case JsonNode node:
                    return TryParseText(node.ToJsonString(), format, out usage);
                case BinaryData data:
                    return TryParseText(data.ToString(), format, out usage);
                case string text:
                    return TryParseText(text, format, out usage);
                case IPersistableModel<object> model:
                    // SDKs built on System.ClientModel (OpenAI, Azure) write their models back to the JSON they were read from.
                    return TryParseText(model.Write(ModelReaderWriterOptions.Json).ToString(), format, out usage);
                default:
                    // SDKs whose models print their raw JSON (Anthropic's JsonModel) — any other object prints its type name.
                    var printed = raw.ToString();
                    return printed is { Length: > 1 } && printed[0] == '{' && TryParseText(printed, format, out usage);
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or NotSupportedException)
        {
            // A raw representation that is not a usage-bearing JSON body: meter from UsageDetails instead.
            usage = null;
            return false;
        }
    }

    /// <summary>Reads the service tier a response reports in its additional properties (adapters that surface it there).</summary>
    public static string? ServiceTierOf(AdditionalPropertiesDictionary? properties)
    {
        if (properties is null)
        {
            return null;
        }

        // One pass over the (usually few) properties instead of a hashed lookup per spelling; AdditionalPropertiesDictionary
        // compares keys ignoring case, so "ServiceTier" also covers "serviceTier". "ServiceTier" wins over "service_tier".
        object? snakeCase = null;
        foreach (var (key, value) in properties)
        {
            if (value is null)
            {
                continue;
            }

            if (string.Equals(key, "ServiceTier", StringComparison.OrdinalIgnoreCase))
            {
                return value.ToString();
            }

            if (string.Equals(key, "service_tier", StringComparison.OrdinalIgnoreCase))
            {
                snakeCase = value;
            }
        }

        return snakeCase?.ToString();
    }

    private static bool TryParseText(string text, ProviderUsageFormat format, out ProviderUsage? usage)
    {
        using var doc = JsonDocument.Parse(text);
        return TryParse(doc.RootElement, format, out usage);
    }

    private static bool TryParse(JsonElement element, ProviderUsageFormat format, out ProviderUsage? usage)
    {
        usage = null;
        if (element.ValueKind != JsonValueKind.Object || !ProviderUsageParser.HasUsage(element))
        {
            return false;
        }

        usage = ProviderUsageParser.Parse(element, format);
        return true;
    }
}
