using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>
/// Builds a <see cref="PriceCatalog"/> from the embedded catalog, LiteLLM price files, configuration and code.
/// Sources are applied in the order they are added: a later price for the same model replaces an earlier one, so
/// add <see cref="AddBuiltIn"/> first and your overrides after it.
/// </summary>
/// <remarks>Not thread-safe; build once at start-up and share the resulting catalog.</remarks>
public sealed class PriceCatalogBuilder
{
    private const string BuiltInResource = "TokenGovernor.Pricing.builtin-prices.json";
    private readonly Dictionary<string, ModelPrice> _prices = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _aliases = new(StringComparer.OrdinalIgnoreCase);
    private UnknownModelPolicy _policy = UnknownModelPolicy.Throw;
    private ModelPrice? _fallback;
    private ILogger? _logger;

    /// <summary>Gets the number of prices added so far.</summary>
    public int Count => _prices.Count;

    /// <summary>Adds the embedded catalog of current models and its aliases.</summary>
    /// <returns>This builder.</returns>
    public PriceCatalogBuilder AddBuiltIn()
    {
        using var stream = typeof(PriceCatalogBuilder).Assembly.GetManifestResourceStream(BuiltInResource)
            ?? throw new InvalidOperationException($"The embedded price catalog '{BuiltInResource}' is missing from the TokenGovernor assembly.");
        using var doc = JsonDocument.Parse(stream);
        foreach (var model in doc.RootElement.GetProperty("models").EnumerateArray())
        {
            var id = model.GetProperty("id").GetString()!;
            var price = new ModelPrice(id, ReadDecimal(model, "input", id)!.Value, ReadDecimal(model, "output", id)!.Value)
            {
                Provider = ReadString(model, "provider"),
                CachedInputPerMillion = ReadDecimal(model, "cachedInput", id),
                CacheWritePerMillion = ReadDecimal(model, "cacheWrite", id),
                ReasoningPerMillion = ReadDecimal(model, "reasoning", id),
                ContextWindow = ReadInt(model, "contextWindow"),
                MaxOutputTokens = ReadInt(model, "maxOutputTokens"),
                Source = ReadString(model, "source"),
                AsOf = ReadString(model, "asOf") is { } asOf ? DateOnly.Parse(asOf, CultureInfo.InvariantCulture) : null,
            };

            if (model.TryGetProperty("longContext", out var lc))
            {
                price = price with
                {
                    LongContext = new LongContextPrice(lc.GetProperty("thresholdTokens").GetInt64(), ReadDecimal(lc, "input", id)!.Value, ReadDecimal(lc, "output", id)!.Value)
                    {
                        CachedInputPerMillion = ReadDecimal(lc, "cachedInput", id),
                        CacheWritePerMillion = ReadDecimal(lc, "cacheWrite", id),
                        ReasoningPerMillion = ReadDecimal(lc, "reasoning", id),
                        Source = ReadString(lc, "source") ?? price.Source,
                    },
                };
            }

            Add(price);
            if (model.TryGetProperty("aliases", out var aliases))
            {
                foreach (var alias in aliases.EnumerateArray())
                {
                    AddAlias(alias.GetString()!, id);
                }
            }
        }

        return this;
    }

    /// <summary>Adds or replaces the price of one model.</summary>
    /// <param name="price">The price.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="price"/> is <see langword="null"/>.</exception>
    public PriceCatalogBuilder Add(ModelPrice price)
    {
        ArgumentNullException.ThrowIfNull(price);
        _prices[price.ModelId] = price;
        return this;
    }

    /// <summary>Maps <paramref name="alias"/> (for example an Azure deployment name) to the model whose price it uses.</summary>
    /// <param name="alias">The id callers or providers use.</param>
    /// <param name="modelId">A model id in the catalog (checked when <see cref="Build"/> runs).</param>
    /// <returns>This builder.</returns>
    public PriceCatalogBuilder AddAlias(string alias, string modelId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(alias);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        _aliases[alias.Trim()] = modelId.Trim();
        return this;
    }

    /// <summary>Adds the prices in a LiteLLM <c>model_prices_and_context_window.json</c> file.</summary>
    /// <param name="path">The file's path.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The file is not LiteLLM-schema JSON.</exception>
    public PriceCatalogBuilder AddLiteLlmFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var stream = File.OpenRead(path);
        return AddLiteLlmJson(stream, path);
    }

    /// <summary>
    /// Adds the prices in LiteLLM's <c>model_prices_and_context_window.json</c> schema: one object per model key with
    /// <c>input_cost_per_token</c>, <c>output_cost_per_token</c>, <c>cache_read_input_token_cost</c>,
    /// <c>cache_creation_input_token_cost</c>, <c>output_cost_per_reasoning_token</c>, <c>max_input_tokens</c>,
    /// <c>max_output_tokens</c> and the <c>*_above_200k_tokens</c> / <c>*_above_128k_tokens</c> long-context rates.
    /// Entries without per-token input and output prices (images, audio, embeddings priced otherwise) are skipped.
    /// </summary>
    /// <param name="utf8Json">The JSON stream.</param>
    /// <param name="sourceName">What to record as each price's <see cref="ModelPrice.Source"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="FormatException">The stream is not LiteLLM-schema JSON.</exception>
    public PriceCatalogBuilder AddLiteLlmJson(Stream utf8Json, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new FormatException($"The LiteLLM price file '{sourceName ?? "(stream)"}' is not valid JSON: {ex.Message}", ex);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException($"The LiteLLM price file '{sourceName ?? "(stream)"}' must be a JSON object keyed by model id.");
            }

            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                var e = entry.Value;
                if (e.ValueKind != JsonValueKind.Object || entry.Name == "sample_spec")
                {
                    continue;
                }

                var input = ReadPerToken(e, "input_cost_per_token", entry.Name);
                var output = ReadPerToken(e, "output_cost_per_token", entry.Name);
                if (input is null || output is null)
                {
                    continue;
                }

                var price = new ModelPrice(entry.Name, input.Value, output.Value)
                {
                    Provider = ReadString(e, "litellm_provider"),
                    CachedInputPerMillion = ReadPerToken(e, "cache_read_input_token_cost", entry.Name) ?? ReadPerToken(e, "input_cost_per_token_cache_hit", entry.Name),
                    CacheWritePerMillion = ReadPerToken(e, "cache_creation_input_token_cost", entry.Name),
                    ReasoningPerMillion = ReadPerToken(e, "output_cost_per_reasoning_token", entry.Name),
                    ContextWindow = ReadInt(e, "max_input_tokens"),
                    MaxOutputTokens = ReadInt(e, "max_output_tokens"),
                    Source = ReadString(e, "source") ?? sourceName ?? "LiteLLM price file",
                };

                foreach (var threshold in (ReadOnlySpan<string>)["200k", "128k"])
                {
                    var lcIn = ReadPerToken(e, $"input_cost_per_token_above_{threshold}_tokens", entry.Name);
                    var lcOut = ReadPerToken(e, $"output_cost_per_token_above_{threshold}_tokens", entry.Name);
                    if (lcIn is not null && lcOut is not null)
                    {
                        price = price with
                        {
                            LongContext = new LongContextPrice(int.Parse(threshold[..^1], CultureInfo.InvariantCulture) * 1000L, lcIn.Value, lcOut.Value)
                            {
                                CachedInputPerMillion = ReadPerToken(e, $"cache_read_input_token_cost_above_{threshold}_tokens", entry.Name),
                                CacheWritePerMillion = ReadPerToken(e, $"cache_creation_input_token_cost_above_{threshold}_tokens", entry.Name),
                                Source = price.Source,
                            },
                        };
                        break;
                    }
                }

                Add(price);
            }
        }

        return this;
    }

    /// <summary>
    /// Adds prices and aliases from configuration: <c>Prices:{modelId}:{Input|Output|CachedInput|CacheWrite|Reasoning}</c>
    /// (USD per million tokens), <c>Prices:{modelId}:{ContextWindow|MaxOutputTokens|Provider|Source}</c>,
    /// <c>Prices:{modelId}:LongContext:{ThresholdTokens|Input|Output|CachedInput|CacheWrite|Reasoning}</c>, and
    /// <c>Aliases:{alias}</c> = model id. Pass the <c>TokenGovernor</c> section.
    /// </summary>
    /// <param name="section">The configuration section that contains <c>Prices</c> and <c>Aliases</c>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="FormatException">A value is missing or not a number; the message names the configuration key.</exception>
    public PriceCatalogBuilder AddConfiguration(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        foreach (var model in section.GetSection("Prices").GetChildren())
        {
            Add(ReadConfiguredPrice(model, model.Key));
        }

        foreach (var alias in section.GetSection("Aliases").GetChildren())
        {
            if (string.IsNullOrWhiteSpace(alias.Value))
            {
                throw new FormatException($"Configuration key '{alias.Path}' must name the model id the alias resolves to.");
            }

            AddAlias(alias.Key, alias.Value);
        }

        return this;
    }

    /// <summary>Sets what the catalog does for unknown models.</summary>
    /// <param name="policy">The policy.</param>
    /// <param name="fallbackPrice">The price used under <see cref="UnknownModelPolicy.UseFallbackPrice"/>.</param>
    /// <returns>This builder.</returns>
    public PriceCatalogBuilder SetUnknownModelPolicy(UnknownModelPolicy policy, ModelPrice? fallbackPrice = null)
    {
        if (!Enum.IsDefined(policy))
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "UnknownModelPolicy must be Throw, UseFallbackPrice or Zero.");
        }

        _policy = policy;
        _fallback = fallbackPrice ?? _fallback;
        return this;
    }

    /// <summary>Sets the logger that receives unknown-model warnings.</summary>
    /// <param name="logger">The logger.</param>
    /// <returns>This builder.</returns>
    public PriceCatalogBuilder SetLogger(ILogger? logger)
    {
        _logger = logger;
        return this;
    }

    /// <summary>Builds the immutable catalog.</summary>
    /// <returns>The catalog.</returns>
    /// <exception cref="InvalidOperationException">An alias names a model that is not in the catalog, or the fallback price is missing.</exception>
    public PriceCatalog Build()
    {
        foreach (var alias in _aliases)
        {
            if (!_prices.ContainsKey(alias.Value))
            {
                throw new InvalidOperationException(
                    $"Alias '{alias.Key}' maps to model '{alias.Value}', which has no price. Add a price for '{alias.Value}' or correct the alias.");
            }
        }

        if (_policy == UnknownModelPolicy.UseFallbackPrice && _fallback is null)
        {
            throw new InvalidOperationException(
                "UnknownModelPolicy is UseFallbackPrice but no fallback price is set. Set TokenGovernor:FallbackPrice or pass one to SetUnknownModelPolicy.");
        }

        return new PriceCatalog(_prices.Values, _aliases, _policy, _fallback, _logger);
    }

    internal static ModelPrice ReadConfiguredPrice(IConfigurationSection model, string modelId)
    {
        var price = new ModelPrice(modelId, RequiredDecimal(model, "Input"), RequiredDecimal(model, "Output"))
        {
            Provider = model["Provider"],
            CachedInputPerMillion = OptionalDecimal(model, "CachedInput"),
            CacheWritePerMillion = OptionalDecimal(model, "CacheWrite"),
            ReasoningPerMillion = OptionalDecimal(model, "Reasoning"),
            ContextWindow = OptionalInt(model, "ContextWindow"),
            MaxOutputTokens = OptionalInt(model, "MaxOutputTokens"),
            Source = model["Source"] ?? "configuration",
        };

        var lc = model.GetSection("LongContext");
        if (lc.Exists())
        {
            var threshold = OptionalInt(lc, "ThresholdTokens")
                ?? throw new FormatException($"Configuration key '{lc.Path}:ThresholdTokens' is required when a long-context tier is configured.");
            price = price with
            {
                LongContext = new LongContextPrice(threshold, RequiredDecimal(lc, "Input"), RequiredDecimal(lc, "Output"))
                {
                    CachedInputPerMillion = OptionalDecimal(lc, "CachedInput"),
                    CacheWritePerMillion = OptionalDecimal(lc, "CacheWrite"),
                    ReasoningPerMillion = OptionalDecimal(lc, "Reasoning"),
                    Source = price.Source,
                },
            };
        }

        return price;
    }

    private static decimal RequiredDecimal(IConfigurationSection section, string key) =>
        OptionalDecimal(section, key) ?? throw new FormatException($"Configuration key '{section.Path}:{key}' is required (USD per million tokens).");

    private static decimal? OptionalDecimal(IConfigurationSection section, string key)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            throw new FormatException($"Configuration key '{section.Path}:{key}' has value '{text}'; it must be a non-negative number (USD per million tokens).");
        }

        return value;
    }

    private static int? OptionalInt(IConfigurationSection section, string key)
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value <= 0)
        {
            throw new FormatException($"Configuration key '{section.Path}:{key}' has value '{text}'; it must be a positive whole number of tokens.");
        }

        return value;
    }

    private static decimal? ReadPerToken(JsonElement e, string name, string modelId)
    {
        if (!e.TryGetProperty(name, out var p) || p.ValueKind is JsonValueKind.Null)
        {
            return null;
        }

        if (p.ValueKind != JsonValueKind.Number || !p.TryGetDecimal(out var perToken) || perToken < 0)
        {
            throw new FormatException($"Model '{modelId}': '{name}' must be a non-negative number (USD per token).");
        }

        return perToken * 1_000_000m;
    }

    private static decimal? ReadDecimal(JsonElement e, string name, string modelId)
    {
        if (!e.TryGetProperty(name, out var p) || p.ValueKind is JsonValueKind.Null)
        {
            return null;
        }

        var ok = p.ValueKind switch
        {
            JsonValueKind.String => decimal.TryParse(p.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : (decimal?)null,
            JsonValueKind.Number => p.TryGetDecimal(out var n) ? n : null,
            _ => null,
        };

        return ok ?? throw new FormatException($"Model '{modelId}': '{name}' must be a number (USD per million tokens).");
    }

    private static string? ReadString(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.String ? p.GetString() : null;

    private static int? ReadInt(JsonElement e, string name) =>
        e.TryGetProperty(name, out var p) && p.ValueKind == JsonValueKind.Number && p.TryGetInt32(out var v) ? v : null;
}
