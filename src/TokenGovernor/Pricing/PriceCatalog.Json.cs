using System.Globalization;
using System.Text.Json;

namespace TokenGovernor;

/// <summary>Writing a catalog in the library's own price-file format.</summary>
public sealed partial class PriceCatalog
{
    /// <summary>Writes every price, alias and match rule of the catalog in the library's price-file format (schema 2), which
    /// <see cref="PriceCatalogBuilder.AddPriceFile"/> and <see cref="PriceCatalogBuilder.AddTokenGovernorJson"/> read back
    /// unchanged. Models are written in id order, so the output is reproducible.</summary>
    /// <param name="utf8Json">Where to write.</param>
    public void WriteJson(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        var aliasesByTarget = _aliases.GroupBy(a => a.Value, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Select(a => a.Key).Order(StringComparer.Ordinal).ToList(), StringComparer.OrdinalIgnoreCase);
        var rulesByKey = _rules.GroupBy(r => r.ModelKey, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
        using var w = new Utf8JsonWriter(utf8Json, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        w.WriteStartObject();
        w.WriteNumber("schemaVersion", 2);
        w.WriteString("currency", "USD");
        w.WriteString("unit", "USD per 1,000,000 tokens; *PerThousand fields per 1,000 calls");
        if (AsOf is { } asOf)
        {
            w.WriteString("asOf", Date(asOf));
        }

        w.WriteStartArray("providers");
        foreach (var p in _providers)
        {
            w.WriteStartObject();
            w.WriteString("id", p.Id);
            if (p.ModelMatch is { } mm)
            {
                w.WritePropertyName("modelMatch");
                mm.Write(w);
            }

            if (p.ProviderMatch is { } pm)
            {
                w.WritePropertyName("providerMatch");
                pm.Write(w);
            }

            if (p.FallbackProviders.Count > 0)
            {
                w.WriteStartArray("fallbackProviders");
                foreach (var f in p.FallbackProviders)
                {
                    w.WriteStringValue(f);
                }

                w.WriteEndArray();
            }

            w.WriteBoolean("home", p.Home);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteStartArray("models");
        foreach (var m in _prices.Values.OrderBy(m => m.ModelId, StringComparer.Ordinal))
        {
            w.WriteStartObject();
            w.WriteString("id", m.ModelId);
            WriteIfSet(w, "provider", m.Provider);
            WriteIfSet(w, "name", m.Name);
            if (rulesByKey.TryGetValue(m.ModelId, out var rules))
            {
                w.WritePropertyName("match");
                if (rules.Count == 1)
                {
                    rules[0].Match.Write(w);
                }
                else
                {
                    w.WriteStartObject();
                    w.WriteStartArray("or");
                    foreach (var r in rules)
                    {
                        r.Match.Write(w);
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }
            }

            if (m.ContextWindow is { } ctx)
            {
                w.WriteNumber("contextWindow", ctx);
            }

            if (m.MaxOutputTokens is { } max)
            {
                w.WriteNumber("maxOutputTokens", max);
            }

            w.WritePropertyName("rates");
            WriteRates(w, m, source: null);
            if (m.EffectiveFrom is { } from)
            {
                w.WriteString("effectiveFrom", Date(DateOnly.FromDateTime(from.UtcDateTime)));
            }

            if (m.EarlierPrices is { Count: > 0 } earlier)
            {
                w.WriteStartArray("history");
                foreach (var e in earlier)
                {
                    w.WriteStartObject();
                    if (e.EffectiveFrom is { } f)
                    {
                        w.WriteString("effectiveFrom", Date(DateOnly.FromDateTime(f.UtcDateTime)));
                    }

                    w.WritePropertyName("rates");
                    WriteRates(w, e, source: null);
                    WriteServiceTiers(w, e);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            if (m.DailyWindows is { Count: > 0 } windows)
            {
                w.WriteStartArray("daily");
                foreach (var d in windows)
                {
                    w.WriteStartObject();
                    w.WriteString("startUtc", d.StartUtc.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + "Z");
                    w.WriteString("endUtc", d.EndUtc.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + "Z");
                    w.WritePropertyName("rates");
                    WriteRates(w, d.Price, source: null);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            WriteServiceTiers(w, m);

            if (aliasesByTarget.TryGetValue(m.ModelId, out var aliases))
            {
                w.WriteStartArray("aliases");
                foreach (var a in aliases)
                {
                    w.WriteStringValue(a);
                }

                w.WriteEndArray();
            }

            WriteIfSet(w, "source", m.Source);
            WriteIfSet(w, "origin", m.Origin);
            if (m.AsOf is { } d2)
            {
                w.WriteString("asOf", Date(d2));
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static string Date(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static void WriteIfSet(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }

    private static void WriteRate(Utf8JsonWriter w, string name, decimal? value)
    {
        if (value is { } v)
        {
            // Rates are written as strings so that every digit survives any JSON reader.
            w.WriteString(name, (v / 1.0000000000000000000000000000m).ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteServiceTiers(Utf8JsonWriter w, ModelPrice m)
    {
        if (m.ServiceTiers is not { Count: > 0 } tiers)
        {
            return;
        }

        w.WriteStartObject("serviceTiers");
        foreach (var (name, tier) in tiers.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            w.WritePropertyName(name);
            WriteRates(w, tier, tier.Source);
        }

        w.WriteEndObject();
    }

    private static void WriteRates(Utf8JsonWriter w, ModelPrice m, string? source)
    {
        w.WriteStartObject();
        WriteRate(w, "input", m.InputPerMillion);
        WriteRate(w, "cachedInput", m.CachedInputPerMillion);
        WriteRate(w, "cacheWrite", m.CacheWritePerMillion);
        WriteRate(w, "cacheWrite1h", m.CacheWrite1hPerMillion);
        WriteRate(w, "output", m.OutputPerMillion);
        WriteRate(w, "reasoning", m.ReasoningPerMillion);
        WriteRate(w, "inputAudio", m.InputAudioPerMillion);
        WriteRate(w, "cachedInputAudio", m.CachedInputAudioPerMillion);
        WriteRate(w, "outputAudio", m.OutputAudioPerMillion);
        WriteRate(w, "inputImage", m.InputImagePerMillion);
        WriteRate(w, "outputImage", m.OutputImagePerMillion);
        WriteRate(w, "webSearchPerThousand", m.WebSearchPerThousand);
        WriteRate(w, "requestsPerThousand", m.RequestsPerThousand);
        if (m.LongContext is { } lc)
        {
            w.WriteStartObject("longContext");
            w.WriteNumber("thresholdTokens", lc.ThresholdTokens);
            WriteRate(w, "input", lc.InputPerMillion);
            WriteRate(w, "cachedInput", lc.CachedInputPerMillion);
            WriteRate(w, "cacheWrite", lc.CacheWritePerMillion);
            WriteRate(w, "cacheWrite1h", lc.CacheWrite1hPerMillion);
            WriteRate(w, "output", lc.OutputPerMillion);
            WriteRate(w, "reasoning", lc.ReasoningPerMillion);
            w.WriteEndObject();
        }

        WriteIfSet(w, "source", source);
        w.WriteEndObject();
    }
}
