namespace TokenGovernor;

/// <summary>
/// The published price of one model, in US dollars per one million tokens, with the limits that matter for
/// estimating a call (context window, maximum output).
/// </summary>
/// <remarks>
/// Prices are <see cref="decimal"/> so that sums are exact and reproducible. A <see langword="null"/> optional rate
/// falls back as documented on each property. Instances are immutable and safe to share between threads.
/// </remarks>
public sealed record ModelPrice
{
    /// <summary>Initializes a new price for <paramref name="modelId"/>.</summary>
    /// <param name="modelId">The canonical model id, such as <c>gpt-4o</c>.</param>
    /// <param name="inputPerMillion">USD per million uncached input tokens.</param>
    /// <param name="outputPerMillion">USD per million output tokens.</param>
    /// <exception cref="ArgumentException"><paramref name="modelId"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A price is negative.</exception>
    public ModelPrice(string modelId, decimal inputPerMillion, decimal outputPerMillion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelId);
        ArgumentOutOfRangeException.ThrowIfNegative(inputPerMillion);
        ArgumentOutOfRangeException.ThrowIfNegative(outputPerMillion);
        ModelId = modelId;
        InputPerMillion = inputPerMillion;
        OutputPerMillion = outputPerMillion;
    }

    /// <summary>Gets the canonical model id (catalog key).</summary>
    public string ModelId { get; init; }

    /// <summary>Gets the provider that publishes the price (<c>openai</c>, <c>anthropic</c>, <c>google</c>, …).</summary>
    /// <value>Defaults to <see langword="null"/> (unknown).</value>
    public string? Provider { get; init; }

    /// <summary>Gets the USD price per million uncached input tokens.</summary>
    public decimal InputPerMillion { get; init; }

    /// <summary>Gets the USD price per million input tokens read from the provider's prompt cache.</summary>
    /// <value>Defaults to <see langword="null"/>, which bills cached tokens at <see cref="InputPerMillion"/>.</value>
    public decimal? CachedInputPerMillion { get; init; }

    /// <summary>Gets the USD price per million input tokens written to the provider's prompt cache.</summary>
    /// <value>Defaults to <see langword="null"/>, which bills cache writes at <see cref="InputPerMillion"/>.</value>
    public decimal? CacheWritePerMillion { get; init; }

    /// <summary>Gets the USD price per million output tokens.</summary>
    public decimal OutputPerMillion { get; init; }

    /// <summary>Gets the USD price per million reasoning (thinking) tokens.</summary>
    /// <value>Defaults to <see langword="null"/>, which bills reasoning tokens at <see cref="OutputPerMillion"/>.</value>
    public decimal? ReasoningPerMillion { get; init; }

    /// <summary>Gets the maximum number of input tokens the model accepts.</summary>
    /// <value>Defaults to <see langword="null"/> (unknown).</value>
    public int? ContextWindow { get; init; }

    /// <summary>Gets the maximum number of output tokens the model can produce in one response.</summary>
    /// <value>Defaults to <see langword="null"/> (unknown).</value>
    public int? MaxOutputTokens { get; init; }

    /// <summary>Gets the higher rates that apply to the whole request when its prompt exceeds a threshold.</summary>
    /// <value>Defaults to <see langword="null"/> (one rate for every prompt size).</value>
    public LongContextPrice? LongContext { get; init; }

    /// <summary>Gets where the price was published (a URL or a description).</summary>
    public string? Source { get; init; }

    /// <summary>Gets the date on which the price was read from <see cref="Source"/>.</summary>
    public DateOnly? AsOf { get; init; }

    /// <summary>Gets the USD price per million input tokens written to the prompt cache with a one-hour lifetime (Anthropic's
    /// <c>ephemeral_1h</c> writes).</summary>
    /// <value>Defaults to <see langword="null"/>, which bills one-hour writes at <see cref="EffectiveCacheWritePerMillion"/>.</value>
    public decimal? CacheWrite1hPerMillion { get; init; }

    /// <summary>Gets the USD price per million uncached audio input tokens.</summary>
    /// <value>Defaults to <see langword="null"/>, which bills audio input at <see cref="InputPerMillion"/>.</value>
    public decimal? InputAudioPerMillion { get; init; }

    /// <summary>Gets the USD price per million audio input tokens read from the prompt cache.</summary>
    /// <value>Defaults to <see langword="null"/>, which bills cached audio at <see cref="EffectiveCachedInputPerMillion"/>.</value>
    public decimal? CachedInputAudioPerMillion { get; init; }

    /// <summary>Gets the USD price per million image input tokens.</summary>
    /// <value>Defaults to <see langword="null"/>, which bills image input at <see cref="InputPerMillion"/>.</value>
    public decimal? InputImagePerMillion { get; init; }

    /// <summary>Gets the USD price per million audio output tokens.</summary>
    /// <value>Defaults to <see langword="null"/>, which bills audio output at <see cref="OutputPerMillion"/>.</value>
    public decimal? OutputAudioPerMillion { get; init; }

    /// <summary>Gets the USD price per million image output tokens.</summary>
    /// <value>Defaults to <see langword="null"/>, which bills image output at <see cref="OutputPerMillion"/>.</value>
    public decimal? OutputImagePerMillion { get; init; }

    /// <summary>Gets the USD price per thousand web-search tool calls the provider ran for the call.</summary>
    /// <value>Defaults to <see langword="null"/> (web searches are not billed apart).</value>
    public decimal? WebSearchPerThousand { get; init; }

    /// <summary>Gets the USD price per thousand requests, billed once per call on top of tokens.</summary>
    /// <value>Defaults to <see langword="null"/> (no per-request fee).</value>
    public decimal? RequestsPerThousand { get; init; }

    /// <summary>Gets the moment from which these rates apply; earlier calls are priced with <see cref="EarlierPrices"/>.</summary>
    /// <value>Defaults to <see langword="null"/> (the rates always applied).</value>
    public DateTimeOffset? EffectiveFrom { get; init; }

    /// <summary>Gets the rates that applied before <see cref="EffectiveFrom"/>, oldest first, each with its own
    /// <see cref="EffectiveFrom"/> (the oldest may have none). <see cref="PriceAt"/> picks the one in force at a call's time.</summary>
    /// <value>Defaults to <see langword="null"/> (no price change is known).</value>
    public IReadOnlyList<ModelPrice>? EarlierPrices { get; init; }

    /// <summary>Gets rates that apply only during a daily UTC time window (for example DeepSeek's peak hours).</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public IReadOnlyList<DailyPriceWindow>? DailyWindows { get; init; }

    /// <summary>Gets the rates of the provider's service tiers (<c>flex</c>, <c>priority</c>, <c>batch</c>), keyed case-insensitively.
    /// A response that reports a tier listed here is priced with that tier's rates; any other tier (<c>default</c>, <c>standard</c>,
    /// <c>auto</c>) is priced with these base rates.</summary>
    /// <value>Defaults to <see langword="null"/> (one rate for every tier).</value>
    public IReadOnlyDictionary<string, ModelPrice>? ServiceTiers { get; init; }

    /// <summary>Gets the display name the source gives the model.</summary>
    public string? Name { get; init; }

    /// <summary>Gets the table the price was generated from (for example <c>genai-prices 0.1.8</c> or <c>LiteLLM</c>).</summary>
    public string? Origin { get; init; }

    /// <summary>Gets the rates in force at <paramref name="time"/>: a dated earlier price for calls made before
    /// <see cref="EffectiveFrom"/>, a daily window's rates inside its window, else these rates.</summary>
    /// <param name="time">When the call was made.</param>
    /// <returns>The price that applied; this instance when nothing else did.</returns>
    public ModelPrice PriceAt(DateTimeOffset time)
    {
        var price = this;
        if (EffectiveFrom is { } from && time < from && EarlierPrices is { Count: > 0 } earlier)
        {
            price = earlier[0];
            for (var i = earlier.Count - 1; i >= 0; i--)
            {
                if (earlier[i].EffectiveFrom is not { } f || time >= f)
                {
                    price = earlier[i];
                    break;
                }
            }
        }

        if (price.DailyWindows is { Count: > 0 } windows)
        {
            var tod = TimeOnly.FromTimeSpan(time.UtcDateTime.TimeOfDay);
            foreach (var w in windows)
            {
                if (w.Contains(tod))
                {
                    return w.Price;
                }
            }
        }

        return price;
    }

    /// <summary>Gets the rates of the service tier the provider reported for a call.</summary>
    /// <param name="serviceTier">The tier as the response reports it (<c>flex</c>, <c>priority</c>, <c>batch</c>, <c>default</c>…), or
    /// <see langword="null"/>.</param>
    /// <returns>The tier's price when <see cref="ServiceTiers"/> lists it; otherwise this instance.</returns>
    public ModelPrice ForServiceTier(string? serviceTier) =>
        serviceTier is not null && ServiceTiers is { Count: > 0 } tiers && tiers.TryGetValue(serviceTier, out var tier) ? tier : this;

    /// <summary>Gets the cached-input rate that applies, falling back to <see cref="InputPerMillion"/>.</summary>
    public decimal EffectiveCachedInputPerMillion => CachedInputPerMillion ?? InputPerMillion;

    /// <summary>Gets the cache-write rate that applies, falling back to <see cref="InputPerMillion"/>.</summary>
    public decimal EffectiveCacheWritePerMillion => CacheWritePerMillion ?? InputPerMillion;

    /// <summary>Gets the reasoning rate that applies, falling back to <see cref="OutputPerMillion"/>.</summary>
    public decimal EffectiveReasoningPerMillion => ReasoningPerMillion ?? OutputPerMillion;

    /// <summary>Gets the one-hour cache-write rate that applies, falling back to <see cref="EffectiveCacheWritePerMillion"/>.</summary>
    public decimal EffectiveCacheWrite1hPerMillion => CacheWrite1hPerMillion ?? EffectiveCacheWritePerMillion;
}
