namespace TokenGovernor;

/// <summary>The cost of one call in US dollars, split by the kind of token billed.</summary>
/// <param name="Input">Uncached text input tokens (audio and image input are in <see cref="InputAudio"/> and <see cref="InputImage"/>).</param>
/// <param name="CachedInput">Input tokens read from the provider's prompt cache (cached audio included).</param>
/// <param name="CacheWrite">Input tokens written to the provider's prompt cache with the default (five-minute) lifetime; one-hour
/// writes are in <see cref="CacheWrite1h"/>.</param>
/// <param name="Output">Text output tokens other than reasoning tokens (audio and image output are in <see cref="OutputAudio"/> and
/// <see cref="OutputImage"/>).</param>
/// <param name="Reasoning">Reasoning (thinking) tokens.</param>
/// <remarks>Every component is disjoint from the others, and <see cref="Total"/> is their sum. The components added after the first
/// five are zero unless the usage and the price carry them, so a breakdown built from the five positional values keeps its total.</remarks>
public readonly record struct CostBreakdown(decimal Input, decimal CachedInput, decimal CacheWrite, decimal Output, decimal Reasoning)
{
    /// <summary>Gets a breakdown of zero dollars.</summary>
    public static CostBreakdown Zero => default;

    /// <summary>Gets the cost of cache writes with a one-hour lifetime.</summary>
    public decimal CacheWrite1h { get; init; }

    /// <summary>Gets the cost of uncached audio input tokens.</summary>
    public decimal InputAudio { get; init; }

    /// <summary>Gets the cost of image input tokens.</summary>
    public decimal InputImage { get; init; }

    /// <summary>Gets the cost of audio output tokens.</summary>
    public decimal OutputAudio { get; init; }

    /// <summary>Gets the cost of image output tokens.</summary>
    public decimal OutputImage { get; init; }

    /// <summary>Gets the cost of web-search tool calls.</summary>
    public decimal WebSearch { get; init; }

    /// <summary>Gets the per-request fee.</summary>
    public decimal Requests { get; init; }

    /// <summary>Gets the service tier whose rates priced the call (<c>flex</c>, <c>priority</c>, <c>batch</c>), or <see langword="null"/>
    /// for the standard rates.</summary>
    public string? ServiceTier { get; init; }

    /// <summary>Gets the prompt size above which the long-context rates priced the call, or <see langword="null"/> when the base rates did.</summary>
    public long? LongContextThresholdTokens { get; init; }

    /// <summary>Gets the total cost in US dollars.</summary>
    public decimal Total => TotalInput + TotalOutput + WebSearch + Requests;

    /// <summary>Gets the input-side cost (uncached, cached, cache-write, audio and image input).</summary>
    public decimal TotalInput => Input + CachedInput + CacheWrite + CacheWrite1h + InputAudio + InputImage;

    /// <summary>Gets the output-side cost (output, reasoning, audio and image output).</summary>
    public decimal TotalOutput => Output + Reasoning + OutputAudio + OutputImage;

    /// <summary>Adds two breakdowns component by component.</summary>
    /// <param name="left">The first breakdown.</param>
    /// <param name="right">The second breakdown.</param>
    /// <returns>The sum; its tier and long-context threshold are kept only when both sides agree.</returns>
    public static CostBreakdown operator +(CostBreakdown left, CostBreakdown right) => new(
        left.Input + right.Input,
        left.CachedInput + right.CachedInput,
        left.CacheWrite + right.CacheWrite,
        left.Output + right.Output,
        left.Reasoning + right.Reasoning)
    {
        CacheWrite1h = left.CacheWrite1h + right.CacheWrite1h,
        InputAudio = left.InputAudio + right.InputAudio,
        InputImage = left.InputImage + right.InputImage,
        OutputAudio = left.OutputAudio + right.OutputAudio,
        OutputImage = left.OutputImage + right.OutputImage,
        WebSearch = left.WebSearch + right.WebSearch,
        Requests = left.Requests + right.Requests,
        ServiceTier = string.Equals(left.ServiceTier, right.ServiceTier, StringComparison.OrdinalIgnoreCase) ? left.ServiceTier : null,
        LongContextThresholdTokens = left.LongContextThresholdTokens == right.LongContextThresholdTokens ? left.LongContextThresholdTokens : null,
    };

    /// <summary>Adds two breakdowns component by component.</summary>
    /// <param name="left">The first breakdown.</param>
    /// <param name="right">The second breakdown.</param>
    /// <returns>The sum.</returns>
    public static CostBreakdown Add(CostBreakdown left, CostBreakdown right) => left + right;
}
