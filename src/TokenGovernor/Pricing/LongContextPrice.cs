namespace TokenGovernor;

/// <summary>
/// Rates that replace a model's base rates for a whole request when the request's prompt has more than
/// <see cref="ThresholdTokens"/> input tokens (for example Gemini 2.5 Pro above 200k tokens, or Claude Sonnet 4
/// with the 1M-token context above 200k tokens).
/// </summary>
/// <remarks>A <see langword="null"/> optional rate falls back to the same rate of the base price, scaled by
/// <c>InputPerMillion / base InputPerMillion</c> for input-side rates and by <c>OutputPerMillion / base OutputPerMillion</c>
/// for reasoning, which is how providers publish their long-context multipliers.</remarks>
public sealed record LongContextPrice
{
    /// <summary>Initializes a new long-context tier.</summary>
    /// <param name="thresholdTokens">The tier applies when the prompt has more input tokens than this.</param>
    /// <param name="inputPerMillion">USD per million uncached input tokens above the threshold.</param>
    /// <param name="outputPerMillion">USD per million output tokens above the threshold.</param>
    /// <exception cref="ArgumentOutOfRangeException">The threshold is not positive or a price is negative.</exception>
    public LongContextPrice(long thresholdTokens, decimal inputPerMillion, decimal outputPerMillion)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(thresholdTokens);
        ArgumentOutOfRangeException.ThrowIfNegative(inputPerMillion);
        ArgumentOutOfRangeException.ThrowIfNegative(outputPerMillion);
        ThresholdTokens = thresholdTokens;
        InputPerMillion = inputPerMillion;
        OutputPerMillion = outputPerMillion;
    }

    /// <summary>Gets the prompt size (input tokens, cached and uncached) above which the tier applies.</summary>
    public long ThresholdTokens { get; init; }

    /// <summary>Gets the USD price per million uncached input tokens in this tier.</summary>
    public decimal InputPerMillion { get; init; }

    /// <summary>Gets the USD price per million cached input tokens in this tier, or <see langword="null"/> to scale the base rate.</summary>
    public decimal? CachedInputPerMillion { get; init; }

    /// <summary>Gets the USD price per million cache-write tokens in this tier, or <see langword="null"/> to scale the base rate.</summary>
    public decimal? CacheWritePerMillion { get; init; }

    /// <summary>Gets the USD price per million one-hour cache-write tokens in this tier, or <see langword="null"/> to scale the base rate.</summary>
    public decimal? CacheWrite1hPerMillion { get; init; }

    /// <summary>Gets the USD price per million output tokens in this tier.</summary>
    public decimal OutputPerMillion { get; init; }

    /// <summary>Gets the USD price per million reasoning tokens in this tier, or <see langword="null"/> to scale the base rate.</summary>
    public decimal? ReasoningPerMillion { get; init; }

    /// <summary>Gets where the tier's prices were published.</summary>
    public string? Source { get; init; }
}
