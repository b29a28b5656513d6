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

    /// <summary>Prices normalised token counts.</summary>
    /// <param name="usage">Disjoint token counts.</param>
    /// <param name="price">The price of the model that answered.</param>
    /// <returns>The cost.</returns>
    public static CostBreakdown Calculate(in TokenUsage usage, ModelPrice price)
    {
        ArgumentNullException.ThrowIfNull(price);
        decimal input = price.InputPerMillion, cached = price.EffectiveCachedInputPerMillion, write = price.EffectiveCacheWritePerMillion,
            output = price.OutputPerMillion, reasoning = price.EffectiveReasoningPerMillion;

        if (price.LongContext is { } lc && usage.TotalInputTokens > lc.ThresholdTokens)
        {
            var inputScale = price.InputPerMillion == 0 ? 1m : lc.InputPerMillion / price.InputPerMillion;
            var outputScale = price.OutputPerMillion == 0 ? 1m : lc.OutputPerMillion / price.OutputPerMillion;
            cached = lc.CachedInputPerMillion ?? cached * inputScale;
            write = lc.CacheWritePerMillion ?? write * inputScale;
            reasoning = lc.ReasoningPerMillion ?? reasoning * outputScale;
            input = lc.InputPerMillion;
            output = lc.OutputPerMillion;
        }

        return new CostBreakdown(
            usage.UncachedInputTokens * input * PerToken,
            usage.CachedInputTokens * cached * PerToken,
            usage.CacheWriteTokens * write * PerToken,
            usage.OutputTokens * output * PerToken,
            usage.ReasoningTokens * reasoning * PerToken);
    }
}
