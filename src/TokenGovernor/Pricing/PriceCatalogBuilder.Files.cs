using System.Globalization;
using System.Text.Json;

namespace TokenGovernor;

/// <summary>The price-file formats: the library's own (<see cref="AddTokenGovernorJson"/>), genai-prices and LiteLLM.</summary>
public sealed partial class PriceCatalogBuilder
{
    private static readonly JsonDocumentOptions s_jsonOptions = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };
    private readonly List<CatalogRule> _rules = [];
    private readonly Dictionary<string, CatalogProvider> _providers = new(StringComparer.OrdinalIgnoreCase);
    private DateOnly? _asOf;
    private int _staleAfterDays = PriceCatalog.DefaultStaleAfterDays;

    /// <summary>Sets the age in days after which <see cref="PriceCatalog.WarnIfStale"/> warns.</summary>
    /// <param name="days">A positive number of days.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="days"/> is not positive.</exception>
    public PriceCatalogBuilder SetStaleAfterDays(int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(days);
        _staleAfterDays = days;
        return this;
    }

    /// <summary>Sets the date the catalog's prices were read (<see cref="PriceCatalog.AsOf"/>), replacing the date the sources gave.</summary>
    /// <param name="asOf">The date.</param>
    /// <returns>This builder.</returns>
    public PriceCatalogBuilder SetAsOf(DateOnly asOf)
    {
        _asOf = asOf;
        return this;
    }

    /// <summary>Adds a price file in any supported format, detected from its content: the library's own format (written by
    /// <see cref="PriceCatalog.WriteJson"/> and <c>tokengov prices import</c>), genai-prices' <c>data.json</c> (a JSON array of
    /// providers), or LiteLLM's <c>model_prices_and_context_window.json</c> (an object keyed by model id).</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The file is in none of the formats.</exception>
    public PriceCatalogBuilder AddPriceFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var bytes = File.ReadAllBytes(path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(bytes, s_jsonOptions);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The price file '{path}' is not valid JSON: {ex.Message}", ex);
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Array)
            {
                return AddGenAiPrices(root, path);
            }

            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("schemaVersion", out _) && root.TryGetProperty("models", out _))
            {
                return AddTokenGovernor(root, path);
            }
        }

        using var stream = new MemoryStream(bytes, writable: false);
        return AddLiteLlmJson(stream, path);
    }

    /// <summary>Adds prices in the library's own file format: <c>{"schemaVersion", "asOf", "providers": [...], "models": [...]}</c>,
    /// each model with <c>id</c>, <c>rates</c> (USD per million tokens), optional <c>match</c>, <c>history</c>, <c>daily</c>,
    /// <c>serviceTiers</c>, <c>aliases</c>, <c>source</c> and <c>asOf</c>. docs/PriceCatalog.md describes every field.</summary>
    /// <param name="utf8Json">The JSON stream.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="FormatException">The stream is not in the format; the message names the model and field.</exception>
    public PriceCatalogBuilder AddTokenGovernorJson(Stream utf8Json, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        using var doc = ParseStream(utf8Json, sourceName);
        return AddTokenGovernor(doc.RootElement, sourceName);
    }

    /// <summary>Adds the prices of genai-prices' <c>data.json</c> (a JSON array of providers, each with models, match rules, dated
    /// prices and long-context tiers). Rates genai-prices gives per page, per hour or per character are not token rates and are
    /// skipped.</summary>
    /// <param name="utf8Json">The JSON stream.</param>
    /// <param name="sourceName">A name for error messages.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="FormatException">The stream is not genai-prices JSON.</exception>
    public PriceCatalogBuilder AddGenAiPricesJson(Stream utf8Json, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        using var doc = ParseStream(utf8Json, sourceName);
        return AddGenAiPrices(doc.RootElement, sourceName);
    }

    internal PriceCatalogBuilder AddRules(IEnumerable<CatalogProvider> providers, IEnumerable<CatalogRule> rules, DateOnly? asOf, int staleAfterDays)
    {
        foreach (var p in providers)
        {
            _providers.TryAdd(p.Id, p);
        }

        _rules.AddRange(rules);
        _asOf ??= asOf;
        _staleAfterDays = staleAfterDays;
        return this;
    }

    private static JsonDocument ParseStream(Stream utf8Json, string? sourceName)
    {
        try
        {
            return JsonDocument.Parse(utf8Json, s_jsonOptions);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The price file '{sourceName ?? "(stream)"}' is not valid JSON: {ex.Message}", ex);
        }
    }

    private PriceCatalogBuilder AddTokenGovernor(JsonElement root, string? sourceName)
    {
        var name = sourceName ?? "(stream)";
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"The price file '{name}' must be an object with a \"models\" array.");
        }

        var fileAsOf = ReadDate(root, "asOf", name);
        if (fileAsOf is not null && (_asOf is null || fileAsOf > _asOf))
        {
            _asOf = fileAsOf;
        }

        if (root.TryGetProperty("providers", out var providers) && providers.ValueKind == JsonValueKind.Array)
        {
            foreach (var p in providers.EnumerateArray())
            {
                var id = ReadString(p, "id") ?? throw new FormatException($"'{name}': a provider has no \"id\".");
                AddProvider(new CatalogProvider(
                    id,
                    p.TryGetProperty("modelMatch", out var mm) ? ModelMatch.Parse(mm, $"provider '{id}'") : null,
                    p.TryGetProperty("providerMatch", out var pm) ? ModelMatch.Parse(pm, $"provider '{id}'") : null,
                    ReadStrings(p, "fallbackProviders"),
                    p.TryGetProperty("home", out var home) && home.ValueKind == JsonValueKind.True));
            }
        }

        foreach (var model in models.EnumerateArray())
        {
            var id = ReadString(model, "id") ?? throw new FormatException($"'{name}': a model has no \"id\".");
            var rates = model.TryGetProperty("rates", out var r) ? r : model; // schema 1 kept the rates on the model itself
            var asOf = ReadDate(model, "asOf", id) ?? fileAsOf;
            var price = ReadLibraryRates(rates, id) with
            {
                Provider = ReadString(model, "provider"),
                Name = ReadString(model, "name"),
                ContextWindow = ReadInt(model, "contextWindow"),
                MaxOutputTokens = ReadInt(model, "maxOutputTokens"),
                Source = ReadString(model, "source") ?? name,
                Origin = ReadString(model, "origin"),
                AsOf = asOf,
                EffectiveFrom = ReadDate(model, "effectiveFrom", id) is { } from ? AtMidnightUtc(from) : null,
            };

            if (model.TryGetProperty("history", out var history) && history.ValueKind == JsonValueKind.Array)
            {
                price = price with
                {
                    EarlierPrices = [.. history.EnumerateArray().Select(h =>
                    {
                        var earlier = Stamp(ReadLibraryRates(h.GetProperty("rates"), id), price) with
                        {
                            EffectiveFrom = ReadDate(h, "effectiveFrom", id) is { } f ? AtMidnightUtc(f) : null,
                        };
                        return WithServiceTiers(earlier, h, id);
                    })],
                };
            }

            if (model.TryGetProperty("daily", out var daily) && daily.ValueKind == JsonValueKind.Array)
            {
                price = price with
                {
                    DailyWindows = [.. daily.EnumerateArray().Select(d => new DailyPriceWindow(
                        ReadTimeOfDay(d, "startUtc", id), ReadTimeOfDay(d, "endUtc", id), Stamp(ReadLibraryRates(d.GetProperty("rates"), id), price)))],
                };
            }

            price = WithServiceTiers(price, model, id);
            Add(price);
            if (model.TryGetProperty("match", out var match))
            {
                _rules.Add(new CatalogRule(price.Provider ?? "custom", id, ModelMatch.Parse(match, $"model '{id}'")));
            }

            foreach (var alias in ReadStrings(model, "aliases"))
            {
                AddAlias(alias, id);
            }
        }

        return this;
    }

    private PriceCatalogBuilder AddGenAiPrices(JsonElement root, string? sourceName)
    {
        var name = sourceName ?? "(stream)";
        if (root.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException($"The genai-prices file '{name}' must be a JSON array of providers.");
        }

        foreach (var p in root.EnumerateArray())
        {
            var providerId = ReadString(p, "id") ?? throw new FormatException($"'{name}': a provider has no \"id\".");
            AddProvider(new CatalogProvider(
                providerId,
                p.TryGetProperty("model_match", out var mm) && mm.ValueKind == JsonValueKind.Object ? ModelMatch.Parse(mm, $"provider '{providerId}'") : null,
                p.TryGetProperty("provider_match", out var pm) && pm.ValueKind == JsonValueKind.Object ? ModelMatch.Parse(pm, $"provider '{providerId}'") : null,
                ReadStrings(p, "fallback_model_providers"),
                Home: false));
            var source = p.TryGetProperty("pricing_urls", out var urls) && urls.ValueKind == JsonValueKind.Array && urls.GetArrayLength() > 0
                ? urls[0].GetString() : null;
            if (!p.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var m in models.EnumerateArray())
            {
                var modelId = ReadString(m, "id") ?? throw new FormatException($"'{name}': a model of provider '{providerId}' has no \"id\".");
                var key = _prices.ContainsKey(modelId) && !string.Equals(_prices[modelId].Provider, providerId, StringComparison.OrdinalIgnoreCase)
                    ? $"{providerId}/{modelId}" : modelId;
                var entries = new List<(DateOnly? From, JsonElement Prices)>();
                var windows = new List<(TimeOnly Start, TimeOnly End, JsonElement Prices)>();
                var prices = m.GetProperty("prices");
                if (prices.ValueKind == JsonValueKind.Array)
                {
                    foreach (var e in prices.EnumerateArray())
                    {
                        if (!e.TryGetProperty("constraint", out var c) || c.ValueKind != JsonValueKind.Object)
                        {
                            entries.Add((null, e.GetProperty("prices")));
                        }
                        else if (ReadString(c, "start_date") is { } date)
                        {
                            entries.Add((DateOnly.ParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture), e.GetProperty("prices")));
                        }
                        else
                        {
                            windows.Add((ReadTimeOfDay(c, "start_time", key), ReadTimeOfDay(c, "end_time", key), e.GetProperty("prices")));
                        }
                    }
                }
                else
                {
                    entries.Add((null, prices));
                }

                if (entries.Count == 0)
                {
                    continue;
                }

                var current = entries[^1];
                var price = ReadGenAiRates(current.Prices, key) with
                {
                    Provider = providerId,
                    Name = ReadString(m, "name"),
                    ContextWindow = ReadInt(m, "context_window"),
                    Source = source ?? name,
                    Origin = "genai-prices",
                    AsOf = _asOf,
                    EffectiveFrom = current.From is { } f ? AtMidnightUtc(f) : null,
                };
                if (entries.Count > 1)
                {
                    price = price with
                    {
                        EarlierPrices = [.. entries.Take(entries.Count - 1).Select(e => Stamp(ReadGenAiRates(e.Prices, key), price) with
                        {
                            EffectiveFrom = e.From is { } d ? AtMidnightUtc(d) : null,
                        })],
                    };
                }

                if (windows.Count > 0)
                {
                    price = price with { DailyWindows = [.. windows.Select(w => new DailyPriceWindow(w.Start, w.End, Stamp(ReadGenAiRates(w.Prices, key), price)))] };
                }

                Add(price);
                if (m.TryGetProperty("match", out var match))
                {
                    _rules.Add(new CatalogRule(providerId, key, ModelMatch.Parse(match, $"model '{key}'")));
                }
            }
        }

        return this;
    }

    private void AddProvider(CatalogProvider provider) => _providers.TryAdd(provider.Id, provider);

    private static DateTimeOffset AtMidnightUtc(DateOnly date) => new(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    // Carries the model's identity onto an earlier, daily or tier price so every price says what it prices and where it came from.
    private static ModelPrice Stamp(ModelPrice rates, ModelPrice owner) => rates with
    {
        Provider = owner.Provider,
        Name = owner.Name,
        ContextWindow = owner.ContextWindow,
        MaxOutputTokens = owner.MaxOutputTokens,
        Source = owner.Source,
        Origin = owner.Origin,
        AsOf = owner.AsOf,
    };

    /// <summary>Reads the <c>serviceTiers</c> object of a model or of one of its dated earlier prices, each tier over its own base rates.</summary>
    private static ModelPrice WithServiceTiers(ModelPrice price, JsonElement holder, string id)
    {
        if (!holder.TryGetProperty("serviceTiers", out var tiers) || tiers.ValueKind != JsonValueKind.Object)
        {
            return price;
        }

        var map = new Dictionary<string, ModelPrice>(StringComparer.OrdinalIgnoreCase);
        foreach (var tier in tiers.EnumerateObject())
        {
            map[tier.Name] = MergeTier(price, ReadLibraryRates(tier.Value, id), tier.Value) with { Source = ReadString(tier.Value, "source") ?? price.Source };
        }

        return price with { ServiceTiers = map };
    }

    // A tier file entry may give only some rates (input, cached input, output): the rest are the base price's.
    private static ModelPrice MergeTier(ModelPrice basePrice, ModelPrice tier, JsonElement given) => Stamp(basePrice, basePrice) with
    {
        InputPerMillion = tier.InputPerMillion,
        OutputPerMillion = tier.OutputPerMillion,
        CachedInputPerMillion = given.TryGetProperty("cachedInput", out _) ? tier.CachedInputPerMillion : basePrice.CachedInputPerMillion,
        CacheWritePerMillion = given.TryGetProperty("cacheWrite", out _) ? tier.CacheWritePerMillion : basePrice.CacheWritePerMillion,
        CacheWrite1hPerMillion = given.TryGetProperty("cacheWrite1h", out _) ? tier.CacheWrite1hPerMillion : basePrice.CacheWrite1hPerMillion,
        ReasoningPerMillion = given.TryGetProperty("reasoning", out _) ? tier.ReasoningPerMillion : basePrice.ReasoningPerMillion,
        InputAudioPerMillion = given.TryGetProperty("inputAudio", out _) ? tier.InputAudioPerMillion : basePrice.InputAudioPerMillion,
        OutputAudioPerMillion = given.TryGetProperty("outputAudio", out _) ? tier.OutputAudioPerMillion : basePrice.OutputAudioPerMillion,
        LongContext = given.TryGetProperty("longContext", out _) ? tier.LongContext : null,
        ServiceTiers = null,
        EarlierPrices = null,
        DailyWindows = null,
        EffectiveFrom = null,
    };

    private static ModelPrice ReadLibraryRates(JsonElement r, string id)
    {
        var price = new ModelPrice(id, ReadDecimal(r, "input", id) ?? 0m, ReadDecimal(r, "output", id) ?? 0m)
        {
            CachedInputPerMillion = ReadDecimal(r, "cachedInput", id),
            CacheWritePerMillion = ReadDecimal(r, "cacheWrite", id),
            CacheWrite1hPerMillion = ReadDecimal(r, "cacheWrite1h", id),
            ReasoningPerMillion = ReadDecimal(r, "reasoning", id),
            InputAudioPerMillion = ReadDecimal(r, "inputAudio", id),
            CachedInputAudioPerMillion = ReadDecimal(r, "cachedInputAudio", id),
            OutputAudioPerMillion = ReadDecimal(r, "outputAudio", id),
            InputImagePerMillion = ReadDecimal(r, "inputImage", id),
            OutputImagePerMillion = ReadDecimal(r, "outputImage", id),
            WebSearchPerThousand = ReadDecimal(r, "webSearchPerThousand", id),
            RequestsPerThousand = ReadDecimal(r, "requestsPerThousand", id),
        };

        if (r.TryGetProperty("longContext", out var lc) && lc.ValueKind == JsonValueKind.Object)
        {
            price = price with
            {
                LongContext = new LongContextPrice(lc.GetProperty("thresholdTokens").GetInt64(), ReadDecimal(lc, "input", id) ?? price.InputPerMillion, ReadDecimal(lc, "output", id) ?? price.OutputPerMillion)
                {
                    CachedInputPerMillion = ReadDecimal(lc, "cachedInput", id),
                    CacheWritePerMillion = ReadDecimal(lc, "cacheWrite", id),
                    CacheWrite1hPerMillion = ReadDecimal(lc, "cacheWrite1h", id),
                    ReasoningPerMillion = ReadDecimal(lc, "reasoning", id),
                    Source = ReadString(lc, "source"),
                },
            };
        }

        return price;
    }

    private static ModelPrice ReadGenAiRates(JsonElement r, string id)
    {
        long? threshold = null;
        decimal? Rate(string key, bool tier = false)
        {
            if (!r.TryGetProperty(key, out var v) || v.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            if (v.ValueKind == JsonValueKind.Object)
            {
                if (!tier)
                {
                    return v.GetProperty("base").GetDecimal();
                }

                var tiers = v.GetProperty("tiers");
                if (tiers.GetArrayLength() == 0)
                {
                    return null;
                }

                threshold = tiers[0].GetProperty("start").GetInt64();
                return tiers[0].GetProperty("price").GetDecimal();
            }

            return tier ? null : v.ValueKind == JsonValueKind.Number ? v.GetDecimal() : throw new FormatException($"Model '{id}': '{key}' must be a number or tiered prices.");
        }

        var price = new ModelPrice(id, Rate("input_mtok") ?? 0m, Rate("output_mtok") ?? 0m)
        {
            CachedInputPerMillion = Rate("cache_read_mtok"),
            CacheWritePerMillion = Rate("cache_write_mtok"),
            CacheWrite1hPerMillion = Rate("cache_write_1h_mtok"),
            ReasoningPerMillion = Rate("output_reasoning_mtok"),
            InputAudioPerMillion = Rate("input_audio_mtok"),
            CachedInputAudioPerMillion = Rate("cache_audio_read_mtok"),
            OutputAudioPerMillion = Rate("output_audio_mtok"),
            InputImagePerMillion = Rate("input_image_mtok"),
            OutputImagePerMillion = Rate("output_image_mtok"),
            WebSearchPerThousand = Rate("web_searches_kcount"),
            RequestsPerThousand = Rate("requests_kcount"),
        };

        var lcInput = Rate("input_mtok", tier: true);
        var lcCached = Rate("cache_read_mtok", tier: true);
        var lcWrite = Rate("cache_write_mtok", tier: true);
        var lcWrite1h = Rate("cache_write_1h_mtok", tier: true);
        var lcOutput = Rate("output_mtok", tier: true);
        if (threshold is { } start)
        {
            // genai-prices keeps an untiered rate at its base price above the threshold: write every rate out.
            price = price with
            {
                LongContext = new LongContextPrice(start, lcInput ?? price.InputPerMillion, lcOutput ?? price.OutputPerMillion)
                {
                    CachedInputPerMillion = lcCached ?? price.EffectiveCachedInputPerMillion,
                    CacheWritePerMillion = lcWrite ?? price.EffectiveCacheWritePerMillion,
                    CacheWrite1hPerMillion = lcWrite1h ?? price.CacheWrite1hPerMillion ?? lcWrite ?? price.EffectiveCacheWritePerMillion,
                    ReasoningPerMillion = price.ReasoningPerMillion ?? lcOutput ?? price.OutputPerMillion,
                },
            };
        }

        return price;
    }

    private static DateOnly? ReadDate(JsonElement e, string name, string context)
    {
        var text = ReadString(e, name);
        if (text is null)
        {
            return null;
        }

        return DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)
            ? d
            : throw new FormatException($"'{context}': \"{name}\" must be a date yyyy-MM-dd, not '{text}'.");
    }

    private static TimeOnly ReadTimeOfDay(JsonElement e, string name, string context)
    {
        var text = ReadString(e, name) ?? throw new FormatException($"Model '{context}': \"{name}\" is missing.");
        var time = text.TrimEnd('Z', 'z');
        return TimeOnly.TryParse(time, CultureInfo.InvariantCulture, out var t)
            ? t
            : throw new FormatException($"Model '{context}': \"{name}\" must be a UTC time of day such as 16:30:00Z, not '{text}'.");
    }

    private static IReadOnlyList<string> ReadStrings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Array
            ? [.. p.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)]
            : [];
}
