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

    /// <summary>Gets the cached-input rate that applies, falling back to <see cref="InputPerMillion"/>.</summary>
    public decimal EffectiveCachedInputPerMillion => CachedInputPerMillion ?? InputPerMillion;

    /// <summary>Gets the cache-write rate that applies, falling back to <see cref="InputPerMillion"/>.</summary>
    public decimal EffectiveCacheWritePerMillion => CacheWritePerMillion ?? InputPerMillion;

    /// <summary>Gets the reasoning rate that applies, falling back to <see cref="OutputPerMillion"/>.</summary>
    public decimal EffectiveReasoningPerMillion => ReasoningPerMillion ?? OutputPerMillion;
}
