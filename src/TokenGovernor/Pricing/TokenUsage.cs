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
    // The split counts (parts of the five categories) and web searches: null (nothing allocated) until one is set, which keeps
    // the usage of an ordinary call at five counts. Never mutated once the usage that holds it is built.
    private readonly Splits? _splits;

    /// <summary>Builds a usage with every count at once (one allocation at most, where a chain of <c>init</c>s makes one each).</summary>
    private TokenUsage(long uncachedInputTokens, long cachedInputTokens, long cacheWriteTokens, long outputTokens, long reasoningTokens, Splits? splits)
        : this(uncachedInputTokens, cachedInputTokens, cacheWriteTokens, outputTokens, reasoningTokens)
    {
        _splits = splits;
    }

    /// <summary>Gets the part of <see cref="CacheWriteTokens"/> written with a one-hour lifetime (the rest are five-minute writes).</summary>
    public long CacheWrite1hTokens
    {
        get => _splits?.CacheWrite1hTokens ?? 0;
        init => _splits = With(value, unset: value == 0, static (x, v) => x.CacheWrite1hTokens = v);
    }

    /// <summary>Gets the part of <see cref="UncachedInputTokens"/> that is audio.</summary>
    public long InputAudioTokens
    {
        get => _splits?.InputAudioTokens ?? 0;
        init => _splits = With(value, unset: value == 0, static (x, v) => x.InputAudioTokens = v);
    }

    /// <summary>Gets the part of <see cref="UncachedInputTokens"/> that is images.</summary>
    public long InputImageTokens
    {
        get => _splits?.InputImageTokens ?? 0;
        init => _splits = With(value, unset: value == 0, static (x, v) => x.InputImageTokens = v);
    }

    /// <summary>Gets the part of <see cref="CachedInputTokens"/> that is audio.</summary>
    public long CachedInputAudioTokens
    {
        get => _splits?.CachedInputAudioTokens ?? 0;
        init => _splits = With(value, unset: value == 0, static (x, v) => x.CachedInputAudioTokens = v);
    }

    /// <summary>Gets the part of <see cref="OutputTokens"/> that is audio.</summary>
    public long OutputAudioTokens
    {
        get => _splits?.OutputAudioTokens ?? 0;
        init => _splits = With(value, unset: value == 0, static (x, v) => x.OutputAudioTokens = v);
    }

    /// <summary>Gets the part of <see cref="OutputTokens"/> that is images.</summary>
    public long OutputImageTokens
    {
        get => _splits?.OutputImageTokens ?? 0;
        init => _splits = With(value, unset: value == 0, static (x, v) => x.OutputImageTokens = v);
    }

    /// <summary>Gets the number of web-search tool calls the provider ran (billed per call, not per token).</summary>
    public long WebSearchCalls
    {
        get => _splits?.WebSearchCalls ?? 0;
        init => _splits = With(value, unset: value == 0, static (x, v) => x.WebSearchCalls = v);
    }

    /// <summary>Gets whether every split count (one-hour writes, audio, image, web searches) is zero: the usage is its five categories.</summary>
    internal bool IsPlain => _splits is not { } x
        || (x.CacheWrite1hTokens | x.InputAudioTokens | x.InputImageTokens | x.CachedInputAudioTokens | x.OutputAudioTokens | x.OutputImageTokens | x.WebSearchCalls) == 0;

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
    public static TokenUsage operator +(TokenUsage left, TokenUsage right) => Combine(left, right, 1);

    /// <summary>Subtracts one usage from another category by category.</summary>
    /// <param name="left">The usage.</param>
    /// <param name="right">The usage to take away.</param>
    /// <returns>The difference.</returns>
    public static TokenUsage operator -(TokenUsage left, TokenUsage right) => Combine(left, right, -1);

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

    /// <summary>Compares every count by value.</summary>
    /// <param name="other">The usage to compare with.</param>
    /// <returns><see langword="true"/> when every count is equal.</returns>
    public bool Equals(TokenUsage other) =>
        UncachedInputTokens == other.UncachedInputTokens && CachedInputTokens == other.CachedInputTokens && CacheWriteTokens == other.CacheWriteTokens
        && OutputTokens == other.OutputTokens && ReasoningTokens == other.ReasoningTokens
        && (ReferenceEquals(_splits, other._splits) || (CacheWrite1hTokens == other.CacheWrite1hTokens && InputAudioTokens == other.InputAudioTokens && InputImageTokens == other.InputImageTokens && CachedInputAudioTokens == other.CachedInputAudioTokens && OutputAudioTokens == other.OutputAudioTokens && OutputImageTokens == other.OutputImageTokens && WebSearchCalls == other.WebSearchCalls));

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(UncachedInputTokens);
        hash.Add(CachedInputTokens);
        hash.Add(CacheWriteTokens);
        hash.Add(OutputTokens);
        hash.Add(ReasoningTokens);
        hash.Add(CacheWrite1hTokens);
        hash.Add(InputAudioTokens);
        hash.Add(InputImageTokens);
        hash.Add(CachedInputAudioTokens);
        hash.Add(OutputAudioTokens);
        hash.Add(OutputImageTokens);
        hash.Add(WebSearchCalls);
        return hash.ToHashCode();
    }

    // What an init stores: a copy of the side object (the original may be shared by other copies of this value) with the one
    // member set, or none when there is none yet and the value written is the default, so ordinary values never allocate one.
    private Splits? With<T>(T value, bool unset, Action<Splits, T> set)
    {
        if (_splits is null && unset)
        {
            return null;
        }

        var edited = _splits?.Copy() ?? new Splits();
        set(edited, value);
        return edited;
    }

    // left + sign × right in every category (sign is 1 or -1), the side object made only when either side has one.
    private static TokenUsage Combine(in TokenUsage left, in TokenUsage right, long sign) => new(
        left.UncachedInputTokens + (sign * right.UncachedInputTokens),
        left.CachedInputTokens + (sign * right.CachedInputTokens),
        left.CacheWriteTokens + (sign * right.CacheWriteTokens),
        left.OutputTokens + (sign * right.OutputTokens),
        left.ReasoningTokens + (sign * right.ReasoningTokens),
        left._splits is null && right._splits is null
            ? null
            : new Splits
            {
                CacheWrite1hTokens = left.CacheWrite1hTokens + (sign * right.CacheWrite1hTokens),
                InputAudioTokens = left.InputAudioTokens + (sign * right.InputAudioTokens),
                InputImageTokens = left.InputImageTokens + (sign * right.InputImageTokens),
                CachedInputAudioTokens = left.CachedInputAudioTokens + (sign * right.CachedInputAudioTokens),
                OutputAudioTokens = left.OutputAudioTokens + (sign * right.OutputAudioTokens),
                OutputImageTokens = left.OutputImageTokens + (sign * right.OutputImageTokens),
                WebSearchCalls = left.WebSearchCalls + (sign * right.WebSearchCalls),
            });

    private sealed class Splits
    {
        public long CacheWrite1hTokens;
        public long InputAudioTokens;
        public long InputImageTokens;
        public long CachedInputAudioTokens;
        public long OutputAudioTokens;
        public long OutputImageTokens;
        public long WebSearchCalls;

        public Splits Copy() => (Splits)MemberwiseClone();
    }
}
