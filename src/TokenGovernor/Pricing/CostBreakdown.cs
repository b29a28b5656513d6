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

    // The components after the first five, the tier and the threshold: null (nothing allocated) until one of them is set, which
    // keeps the breakdown of an ordinary call at five decimals. Never mutated once the breakdown that holds it is built.
    private readonly Extras? _extras;

    /// <summary>Builds a breakdown with every component at once (one allocation at most, where a chain of <c>init</c>s makes one each).</summary>
    internal CostBreakdown(decimal input, decimal cachedInput, decimal cacheWrite, decimal output, decimal reasoning, decimal cacheWrite1h, decimal inputAudio,
        decimal inputImage, decimal outputAudio, decimal outputImage, decimal webSearch, decimal requests, string? serviceTier, long? longContextThresholdTokens)
        : this(input, cachedInput, cacheWrite, output, reasoning)
    {
        _extras = new Extras
        {
            CacheWrite1h = cacheWrite1h,
            InputAudio = inputAudio,
            InputImage = inputImage,
            OutputAudio = outputAudio,
            OutputImage = outputImage,
            WebSearch = webSearch,
            Requests = requests,
            ServiceTier = serviceTier,
            LongContextThresholdTokens = longContextThresholdTokens,
        };
    }

    /// <summary>Gets the cost of cache writes with a one-hour lifetime.</summary>
    public decimal CacheWrite1h
    {
        get => _extras?.CacheWrite1h ?? 0m;
        init => _extras = With(value, unset: IsDefault(value), static (x, v) => x.CacheWrite1h = v);
    }

    /// <summary>Gets the cost of uncached audio input tokens.</summary>
    public decimal InputAudio
    {
        get => _extras?.InputAudio ?? 0m;
        init => _extras = With(value, unset: IsDefault(value), static (x, v) => x.InputAudio = v);
    }

    /// <summary>Gets the cost of image input tokens.</summary>
    public decimal InputImage
    {
        get => _extras?.InputImage ?? 0m;
        init => _extras = With(value, unset: IsDefault(value), static (x, v) => x.InputImage = v);
    }

    /// <summary>Gets the cost of audio output tokens.</summary>
    public decimal OutputAudio
    {
        get => _extras?.OutputAudio ?? 0m;
        init => _extras = With(value, unset: IsDefault(value), static (x, v) => x.OutputAudio = v);
    }

    /// <summary>Gets the cost of image output tokens.</summary>
    public decimal OutputImage
    {
        get => _extras?.OutputImage ?? 0m;
        init => _extras = With(value, unset: IsDefault(value), static (x, v) => x.OutputImage = v);
    }

    /// <summary>Gets the cost of web-search tool calls.</summary>
    public decimal WebSearch
    {
        get => _extras?.WebSearch ?? 0m;
        init => _extras = With(value, unset: IsDefault(value), static (x, v) => x.WebSearch = v);
    }

    /// <summary>Gets the per-request fee.</summary>
    public decimal Requests
    {
        get => _extras?.Requests ?? 0m;
        init => _extras = With(value, unset: IsDefault(value), static (x, v) => x.Requests = v);
    }

    /// <summary>Gets the service tier whose rates priced the call (<c>flex</c>, <c>priority</c>, <c>batch</c>), or <see langword="null"/>
    /// for the standard rates.</summary>
    public string? ServiceTier
    {
        get => _extras?.ServiceTier;
        init => _extras = With(value, unset: value is null, static (x, v) => x.ServiceTier = v);
    }

    /// <summary>Gets the prompt size above which the long-context rates priced the call, or <see langword="null"/> when the base rates did.</summary>
    public long? LongContextThresholdTokens
    {
        get => _extras?.LongContextThresholdTokens;
        init => _extras = With(value, unset: value is null, static (x, v) => x.LongContextThresholdTokens = v);
    }

    /// <summary>Gets the total cost in US dollars.</summary>
    public decimal Total => _extras is null ? Input + CachedInput + CacheWrite + Output + Reasoning : TotalInput + TotalOutput + WebSearch + Requests;

    /// <summary>Gets the input-side cost (uncached, cached, cache-write, audio and image input).</summary>
    public decimal TotalInput => _extras is null ? Input + CachedInput + CacheWrite : Input + CachedInput + CacheWrite + CacheWrite1h + InputAudio + InputImage;

    /// <summary>Gets the output-side cost (output, reasoning, audio and image output).</summary>
    public decimal TotalOutput => _extras is null ? Output + Reasoning : Output + Reasoning + OutputAudio + OutputImage;

    /// <summary>Adds two breakdowns component by component.</summary>
    /// <param name="left">The first breakdown.</param>
    /// <param name="right">The second breakdown.</param>
    /// <returns>The sum; its tier and long-context threshold are kept only when both sides agree.</returns>
    public static CostBreakdown operator +(CostBreakdown left, CostBreakdown right)
    {
        if (left._extras is null && right._extras is null)
        {
            return new(left.Input + right.Input, left.CachedInput + right.CachedInput, left.CacheWrite + right.CacheWrite, left.Output + right.Output,
                left.Reasoning + right.Reasoning);
        }

        var tier = string.Equals(left.ServiceTier, right.ServiceTier, StringComparison.OrdinalIgnoreCase) ? left.ServiceTier : null;
        var threshold = left.LongContextThresholdTokens == right.LongContextThresholdTokens ? left.LongContextThresholdTokens : null;
        return new(
            left.Input + right.Input,
            left.CachedInput + right.CachedInput,
            left.CacheWrite + right.CacheWrite,
            left.Output + right.Output,
            left.Reasoning + right.Reasoning,
            left.CacheWrite1h + right.CacheWrite1h,
            left.InputAudio + right.InputAudio,
            left.InputImage + right.InputImage,
            left.OutputAudio + right.OutputAudio,
            left.OutputImage + right.OutputImage,
            left.WebSearch + right.WebSearch,
            left.Requests + right.Requests,
            tier,
            threshold);
    }

    /// <summary>Adds two breakdowns component by component.</summary>
    /// <param name="left">The first breakdown.</param>
    /// <param name="right">The second breakdown.</param>
    /// <returns>The sum.</returns>
    public static CostBreakdown Add(CostBreakdown left, CostBreakdown right) => left + right;

    /// <summary>Compares every component, the tier and the threshold by value.</summary>
    /// <param name="other">The breakdown to compare with.</param>
    /// <returns><see langword="true"/> when every member is equal.</returns>
    public bool Equals(CostBreakdown other) =>
        Input == other.Input && CachedInput == other.CachedInput && CacheWrite == other.CacheWrite && Output == other.Output && Reasoning == other.Reasoning
        && (ReferenceEquals(_extras, other._extras) || (CacheWrite1h == other.CacheWrite1h && InputAudio == other.InputAudio && InputImage == other.InputImage
            && OutputAudio == other.OutputAudio && OutputImage == other.OutputImage && WebSearch == other.WebSearch && Requests == other.Requests
            && string.Equals(ServiceTier, other.ServiceTier, StringComparison.Ordinal) && LongContextThresholdTokens == other.LongContextThresholdTokens));

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(Input);
        hash.Add(CachedInput);
        hash.Add(CacheWrite);
        hash.Add(Output);
        hash.Add(Reasoning);
        hash.Add(CacheWrite1h);
        hash.Add(InputAudio);
        hash.Add(InputImage);
        hash.Add(OutputAudio);
        hash.Add(OutputImage);
        hash.Add(WebSearch);
        hash.Add(Requests);
        hash.Add(ServiceTier, StringComparer.Ordinal);
        hash.Add(LongContextThresholdTokens);
        return hash.ToHashCode();
    }

    // A decimal that prints and serializes as the default does (0, not 0.00): only such a value may be left unstored.
    private static bool IsDefault(decimal value) => value == 0m && value.Scale == 0 && !decimal.IsNegative(value);

    // What an init stores: a copy of the side object (the original may be shared by other copies of this value) with the one
    // member set, or none when there is none yet and the value written is the default, so ordinary values never allocate one.
    private Extras? With<T>(T value, bool unset, Action<Extras, T> set)
    {
        if (_extras is null && unset)
        {
            return null;
        }

        var edited = _extras?.Copy() ?? new Extras();
        set(edited, value);
        return edited;
    }

    private sealed class Extras
    {
        public decimal CacheWrite1h;
        public decimal InputAudio;
        public decimal InputImage;
        public decimal OutputAudio;
        public decimal OutputImage;
        public decimal WebSearch;
        public decimal Requests;
        public string? ServiceTier;
        public long? LongContextThresholdTokens;

        public Extras Copy() => (Extras)MemberwiseClone();
    }
}
