using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>Prices token usage with a <see cref="ModelPrice"/>, exactly, in <see cref="decimal"/> US dollars.</summary>
/// <remarks>
/// <para>Each token category is billed at its own rate: uncached input at <see cref="ModelPrice.InputPerMillion"/>, cache reads
/// at <see cref="ModelPrice.CachedInputPerMillion"/>, cache writes at <see cref="ModelPrice.CacheWritePerMillion"/>, output at
/// <see cref="ModelPrice.OutputPerMillion"/> and reasoning at <see cref="ModelPrice.ReasoningPerMillion"/>.</para>
/// <para>When the prompt (all input tokens) exceeds <see cref="LongContextPrice.ThresholdTokens"/>, the long-context rates apply to
/// the whole request, as Google and Anthropic bill them.</para>
/// <para>The calculator is stateless and thread-safe.</para>
/// </remarks>
public static class CostCalculator
{
    // Multiplying by 10^-6 is exact in decimal and much cheaper than dividing by 10^6.
    private const decimal PerToken = 0.000001m;
    private const decimal PerThousand = 0.001m;

    /// <summary>Prices M.E.AI usage reported in <paramref name="convention"/> (default: <see cref="UsageConvention.OpenAI"/>).</summary>
    /// <param name="usage">The usage the provider reported.</param>
    /// <param name="price">The price of the model that answered.</param>
    /// <param name="convention">How the provider adapter fills <see cref="UsageDetails"/>.</param>
    /// <returns>The cost.</returns>
    public static CostBreakdown Calculate(UsageDetails usage, ModelPrice price, UsageConvention? convention = null)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return Calculate((convention ?? UsageConvention.OpenAI).Normalize(usage), price);
    }

    /// <summary>Prices normalised token counts at the model's current, standard-tier rates.</summary>
    /// <param name="usage">Disjoint token counts.</param>
    /// <param name="price">The price of the model that answered.</param>
    /// <returns>The cost.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static CostBreakdown Calculate(in TokenUsage usage, ModelPrice price)
    {
        // The same as CalculateAt(usage, price, null, null), without its time and tier steps: going through it cost an estimate
        // (which prices twice) a third of its time in argument and result copies. Not inlined: inlined twice into
        // CostEstimator.Estimate, the two copies of the plain path made the estimate slower (measured), not faster.
        ArgumentNullException.ThrowIfNull(price);
        return IsPlain(usage, price) ? Plain(usage, price) : CalculateFull(usage, price, appliedTier: null);
    }

    /// <summary>Prices normalised token counts with the rates in force at <paramref name="time"/> for the service tier the provider
    /// reported.</summary>
    /// <param name="usage">Disjoint token counts.</param>
    /// <param name="price">The price of the model that answered.</param>
    /// <param name="serviceTier">The tier the response reports (<c>flex</c>, <c>priority</c>, <c>batch</c>, <c>default</c>…), or
    /// <see langword="null"/> for the standard rates. A tier the price does not list is billed at the standard rates.</param>
    /// <param name="time">When the call was made, for prices that changed over time; <see langword="null"/> for the current rates.</param>
    /// <returns>The cost.</returns>
    public static CostBreakdown CalculateAt(in TokenUsage usage, ModelPrice price, string? serviceTier, DateTimeOffset? time)
    {
        ArgumentNullException.ThrowIfNull(price);
        if (time is { } t)
        {
            price = price.PriceAt(t);
        }

        var tiered = price.ForServiceTier(serviceTier);
        var appliedTier = ReferenceEquals(tiered, price) ? null : serviceTier!.ToLowerInvariant();
        price = tiered;

        return appliedTier is null && IsPlain(usage, price) ? Plain(usage, price) : CalculateFull(usage, price, appliedTier);
    }

    /// <summary>
    /// Prices an estimate's two bounds: the prompt's input cost, and the larger of <paramref name="maxOutputTokens"/> billed as
    /// output or as reasoning. The same values as pricing the two usages with <see cref="Calculate(in TokenUsage, ModelPrice)"/>
    /// (the estimate's old form), with three products instead of ten when no long-context tier applies.
    /// </summary>
    internal static (decimal PromptCost, decimal MaxOutputCost) EstimateBounds(long promptTokens, long maxOutputTokens, ModelPrice price)
    {
        ArgumentNullException.ThrowIfNull(price);
        if (LongContextFor(price, promptTokens) is null)
        {
            return (promptTokens * price.InputPerMillion * PerToken,
                Math.Max(maxOutputTokens * price.OutputPerMillion * PerToken, maxOutputTokens * price.EffectiveReasoningPerMillion * PerToken));
        }

        var asOutput = Calculate(new TokenUsage(promptTokens, 0, 0, maxOutputTokens, 0), price);
        var asReasoning = Calculate(new TokenUsage(promptTokens, 0, 0, 0, maxOutputTokens), price);
        return (asOutput.TotalInput, Math.Max(asOutput.TotalOutput, asReasoning.TotalOutput));
    }

    // Most calls carry none of the split dimensions, no per-request fee, and stay under any long-context threshold: five
    // products, inlined into the caller (the full path below, with its dozen rates, measured twice as slow for the same five).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsPlain(in TokenUsage usage, ModelPrice price) =>
        usage.IsPlain && price.RequestsPerThousand is null && LongContextFor(price, usage.TotalInputTokens) is null;

    // The long-context tier whose rates apply to a request of inputTokens (all input), or null.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static LongContextPrice? LongContextFor(ModelPrice price, long inputTokens) =>
        price.LongContext is { } lc && inputTokens > lc.ThresholdTokens ? lc : null;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static CostBreakdown Plain(in TokenUsage usage, ModelPrice price) => new(
        PerTokens(usage.UncachedInputTokens, price.InputPerMillion),
        PerTokens(usage.CachedInputTokens, price.EffectiveCachedInputPerMillion),
        PerTokens(usage.CacheWriteTokens, price.EffectiveCacheWritePerMillion),
        PerTokens(usage.OutputTokens, price.OutputPerMillion),
        PerTokens(usage.ReasoningTokens, price.EffectiveReasoningPerMillion));

    /// <summary><c>tokens × perMillion × 10⁻⁶</c>. Most calls leave two or three of the five kinds at zero (no cache reads or writes,
    /// no reasoning): those are <c>0m</c> without two decimal multiplications each (equal to the product, though the product
    /// could carry trailing zeros: 0.00000000).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static decimal PerTokens(long tokens, decimal perMillion) => tokens != 0 ? tokens * perMillion * PerToken : 0m;

    private static CostBreakdown CalculateFull(in TokenUsage usage, ModelPrice price, string? appliedTier)
    {
        decimal input = price.InputPerMillion, cached = price.EffectiveCachedInputPerMillion, write = price.EffectiveCacheWritePerMillion,
            write1h = price.EffectiveCacheWrite1hPerMillion, output = price.OutputPerMillion, reasoning = price.EffectiveReasoningPerMillion;
        decimal inputAudio = price.InputAudioPerMillion ?? input, cachedAudio = price.CachedInputAudioPerMillion ?? cached,
            inputImage = price.InputImagePerMillion ?? input, outputAudio = price.OutputAudioPerMillion ?? output,
            outputImage = price.OutputImagePerMillion ?? output;
        long? threshold = null;

        if (LongContextFor(price, usage.TotalInputTokens) is { } lc)
        {
            var inputScale = price.InputPerMillion == 0 ? 1m : lc.InputPerMillion / price.InputPerMillion;
            var outputScale = price.OutputPerMillion == 0 ? 1m : lc.OutputPerMillion / price.OutputPerMillion;
            cached = lc.CachedInputPerMillion ?? cached * inputScale;
            write = lc.CacheWritePerMillion ?? write * inputScale;
            write1h = lc.CacheWrite1hPerMillion ?? (price.CacheWrite1hPerMillion is null ? write : write1h * inputScale);
            reasoning = lc.ReasoningPerMillion ?? reasoning * outputScale;
            inputAudio *= inputScale;
            cachedAudio *= inputScale;
            inputImage *= inputScale;
            outputAudio *= outputScale;
            outputImage *= outputScale;
            input = lc.InputPerMillion;
            output = lc.OutputPerMillion;
            threshold = lc.ThresholdTokens;
        }

        // The split counts are parts of their category; clamp them so an inconsistent report never bills a negative amount.
        var audioIn = Clamp(usage.InputAudioTokens, usage.UncachedInputTokens);
        var imageIn = Clamp(usage.InputImageTokens, usage.UncachedInputTokens - audioIn);
        var audioCached = Clamp(usage.CachedInputAudioTokens, usage.CachedInputTokens);
        var oneHour = Clamp(usage.CacheWrite1hTokens, usage.CacheWriteTokens);
        var audioOut = Clamp(usage.OutputAudioTokens, usage.OutputTokens);
        var imageOut = Clamp(usage.OutputImageTokens, usage.OutputTokens - audioOut);

        var inputCost = (usage.UncachedInputTokens - audioIn - imageIn) * input * PerToken;
        var cachedCost = audioCached == 0 ? usage.CachedInputTokens * cached * PerToken : ((usage.CachedInputTokens - audioCached) * cached + audioCached * cachedAudio) * PerToken;
        var writeCost = (usage.CacheWriteTokens - oneHour) * write * PerToken;
        var outputCost = (usage.OutputTokens - audioOut - imageOut) * output * PerToken;
        var reasoningCost = usage.ReasoningTokens * reasoning * PerToken;

        return new CostBreakdown(
            inputCost,
            cachedCost,
            writeCost,
            outputCost,
            reasoningCost,
            cacheWrite1h: oneHour * write1h * PerToken,
            inputAudio: audioIn * inputAudio * PerToken,
            inputImage: imageIn * inputImage * PerToken,
            outputAudio: audioOut * outputAudio * PerToken,
            outputImage: imageOut * outputImage * PerToken,
            webSearch: price.WebSearchPerThousand is { } ws ? Math.Max(0, usage.WebSearchCalls) * ws * PerThousand : 0m,
            requests: price.RequestsPerThousand is { } rq ? rq * PerThousand : 0m,
            serviceTier: appliedTier,
            longContextThresholdTokens: threshold);
    }

    private static long Clamp(long part, long whole) => Math.Clamp(part, 0, Math.Max(0, whole));
}
