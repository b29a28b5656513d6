namespace TokenGovernor;

/// <summary>
/// Token counts of one call in one canonical form, with every category disjoint: the billable units of
/// <see cref="CostCalculator"/>. Produce one from M.E.AI's <c>UsageDetails</c> with <see cref="UsageConvention.Normalize"/>.
/// </summary>
/// <param name="UncachedInputTokens">Input tokens billed at the input rate.</param>
/// <param name="CachedInputTokens">Input tokens read from the provider's prompt cache.</param>
/// <param name="CacheWriteTokens">Input tokens written to the provider's prompt cache.</param>
/// <param name="OutputTokens">Output tokens other than reasoning tokens.</param>
/// <param name="ReasoningTokens">Reasoning (thinking) tokens.</param>
/// <remarks>The five positional counts are disjoint and add up to <see cref="TotalTokens"/>. The other counts say how a category
/// splits further and are each a part of the category named in their documentation, so totals never change when they are set.</remarks>
public readonly record struct TokenUsage(long UncachedInputTokens, long CachedInputTokens, long CacheWriteTokens, long OutputTokens, long ReasoningTokens)
{
    /// <summary>Gets the part of <see cref="CacheWriteTokens"/> written with a one-hour lifetime (the rest are five-minute writes).</summary>
    public long CacheWrite1hTokens { get; init; }

    /// <summary>Gets the part of <see cref="UncachedInputTokens"/> that is audio.</summary>
    public long InputAudioTokens { get; init; }

    /// <summary>Gets the part of <see cref="UncachedInputTokens"/> that is images.</summary>
    public long InputImageTokens { get; init; }

    /// <summary>Gets the part of <see cref="CachedInputTokens"/> that is audio.</summary>
    public long CachedInputAudioTokens { get; init; }

    /// <summary>Gets the part of <see cref="OutputTokens"/> that is audio.</summary>
    public long OutputAudioTokens { get; init; }

    /// <summary>Gets the part of <see cref="OutputTokens"/> that is images.</summary>
    public long OutputImageTokens { get; init; }

    /// <summary>Gets the number of web-search tool calls the provider ran (billed per call, not per token).</summary>
    public long WebSearchCalls { get; init; }

    /// <summary>Gets every prompt token: uncached, cached and cache-write input.</summary>
    public long TotalInputTokens => UncachedInputTokens + CachedInputTokens + CacheWriteTokens;

    /// <summary>Gets every generated token: output and reasoning.</summary>
    public long TotalOutputTokens => OutputTokens + ReasoningTokens;

    /// <summary>Gets all tokens.</summary>
    public long TotalTokens => TotalInputTokens + TotalOutputTokens;

    /// <summary>Adds two usages category by category.</summary>
    /// <param name="left">The first usage.</param>
    /// <param name="right">The second usage.</param>
    /// <returns>The sum.</returns>
    public static TokenUsage operator +(TokenUsage left, TokenUsage right) => new(
        left.UncachedInputTokens + right.UncachedInputTokens,
        left.CachedInputTokens + right.CachedInputTokens,
        left.CacheWriteTokens + right.CacheWriteTokens,
        left.OutputTokens + right.OutputTokens,
        left.ReasoningTokens + right.ReasoningTokens)
    {
        CacheWrite1hTokens = left.CacheWrite1hTokens + right.CacheWrite1hTokens,
        InputAudioTokens = left.InputAudioTokens + right.InputAudioTokens,
        InputImageTokens = left.InputImageTokens + right.InputImageTokens,
        CachedInputAudioTokens = left.CachedInputAudioTokens + right.CachedInputAudioTokens,
        OutputAudioTokens = left.OutputAudioTokens + right.OutputAudioTokens,
        OutputImageTokens = left.OutputImageTokens + right.OutputImageTokens,
        WebSearchCalls = left.WebSearchCalls + right.WebSearchCalls,
    };

    /// <summary>Subtracts one usage from another category by category.</summary>
    /// <param name="left">The usage.</param>
    /// <param name="right">The usage to take away.</param>
    /// <returns>The difference.</returns>
    public static TokenUsage operator -(TokenUsage left, TokenUsage right) => new(
        left.UncachedInputTokens - right.UncachedInputTokens,
        left.CachedInputTokens - right.CachedInputTokens,
        left.CacheWriteTokens - right.CacheWriteTokens,
        left.OutputTokens - right.OutputTokens,
        left.ReasoningTokens - right.ReasoningTokens)
    {
        CacheWrite1hTokens = left.CacheWrite1hTokens - right.CacheWrite1hTokens,
        InputAudioTokens = left.InputAudioTokens - right.InputAudioTokens,
        InputImageTokens = left.InputImageTokens - right.InputImageTokens,
        CachedInputAudioTokens = left.CachedInputAudioTokens - right.CachedInputAudioTokens,
        OutputAudioTokens = left.OutputAudioTokens - right.OutputAudioTokens,
        OutputImageTokens = left.OutputImageTokens - right.OutputImageTokens,
        WebSearchCalls = left.WebSearchCalls - right.WebSearchCalls,
    };

    /// <summary>Adds two usages category by category.</summary>
    /// <param name="left">The first usage.</param>
    /// <param name="right">The second usage.</param>
    /// <returns>The sum.</returns>
    public static TokenUsage Add(TokenUsage left, TokenUsage right) => left + right;

    /// <summary>Subtracts one usage from another category by category.</summary>
    /// <param name="left">The usage.</param>
    /// <param name="right">The usage to take away.</param>
    /// <returns>The difference.</returns>
    public static TokenUsage Subtract(TokenUsage left, TokenUsage right) => left - right;
}
