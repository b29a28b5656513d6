using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// How a provider adapter fills M.E.AI's <see cref="UsageDetails"/>, so that one <see cref="CostCalculator"/> bills every
/// provider right. This is the one place where provider conventions are normalised.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><description><see cref="OpenAI"/> (the M.E.AI convention, also DeepSeek, Groq, Together, Mistral and Gemini through
/// its OpenAI-compatible endpoint): <c>InputTokenCount</c> counts every prompt token, and <c>CachedInputTokenCount</c> is the
/// part of it read from the prompt cache; <c>OutputTokenCount</c> counts every generated token and <c>ReasoningTokenCount</c> is
/// the part of it spent on reasoning.</description></item>
/// <item><description><see cref="Anthropic"/> (the Messages API as reported raw): <c>input_tokens</c> excludes cache reads and
/// cache writes, which are reported beside it (<c>cache_read_input_tokens</c>, <c>cache_creation_input_tokens</c>); thinking
/// tokens are billed as output and are not reported apart.</description></item>
/// <item><description><see cref="GeminiNative"/> (the Gemini API as reported raw): <c>promptTokenCount</c> includes
/// <c>cachedContentTokenCount</c>, but <c>thoughtsTokenCount</c> is reported beside <c>candidatesTokenCount</c>, not inside it.</description></item>
/// </list>
/// Cache-write tokens are read from <see cref="UsageDetails.AdditionalCounts"/> under any of <see cref="CacheWriteCountKeys"/>.
/// </remarks>
public sealed record UsageConvention
{
    /// <summary>The keys of <see cref="UsageDetails.AdditionalCounts"/> that carry cache-write (cache creation) input tokens.</summary>
    public static readonly IReadOnlyList<string> CacheWriteCountKeys =
        ["CacheWriteInputTokenCount", "CacheCreationInputTokens", "cache_creation_input_tokens", "InputCacheWriteTokenCount"];

    /// <summary>Gets the convention of OpenAI's APIs and of M.E.AI itself.</summary>
    public static UsageConvention OpenAI { get; } = new() { Name = "openai", CachedIncludedInInput = true, CacheWriteIncludedInInput = true, ReasoningIncludedInOutput = true };

    /// <summary>Gets the convention of Anthropic's Messages API usage, passed through unchanged.</summary>
    public static UsageConvention Anthropic { get; } = new() { Name = "anthropic", CachedIncludedInInput = false, CacheWriteIncludedInInput = false, ReasoningIncludedInOutput = true };

    /// <summary>Gets the convention of the native Gemini API usage metadata, passed through unchanged.</summary>
    public static UsageConvention GeminiNative { get; } = new() { Name = "gemini-native", CachedIncludedInInput = true, CacheWriteIncludedInInput = true, ReasoningIncludedInOutput = false };

    /// <summary>Gets the convention's name, for logs and reports.</summary>
    public required string Name { get; init; }

    /// <summary>Gets a value indicating whether <c>InputTokenCount</c> includes the cached input tokens.</summary>
    public bool CachedIncludedInInput { get; init; }

    /// <summary>Gets a value indicating whether <c>InputTokenCount</c> includes the cache-write input tokens.</summary>
    public bool CacheWriteIncludedInInput { get; init; }

    /// <summary>Gets a value indicating whether <c>OutputTokenCount</c> includes the reasoning tokens.</summary>
    public bool ReasoningIncludedInOutput { get; init; }

    /// <summary>Converts provider-reported usage to disjoint billable counts.</summary>
    /// <param name="usage">The usage reported for the call.</param>
    /// <returns>The normalised counts. Inconsistent reports (a subset larger than its total) are clamped, never negative.</returns>
    public TokenUsage Normalize(UsageDetails usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var input = Math.Max(0, usage.InputTokenCount ?? 0);
        var output = Math.Max(0, usage.OutputTokenCount ?? 0);
        var cached = Math.Max(0, usage.CachedInputTokenCount ?? 0);
        var reasoning = Math.Max(0, usage.ReasoningTokenCount ?? 0);
        var write = Math.Max(0, GetCacheWriteTokens(usage));

        if (input == 0 && output == 0 && usage.TotalTokenCount is > 0 && usage.InputTokenCount is null)
        {
            // Only a total was reported: bill it as input (the cheaper side is never assumed silently for output).
            input = usage.TotalTokenCount.Value;
        }

        long uncached;
        if (CachedIncludedInInput)
        {
            cached = Math.Min(cached, input);
            var rest = input - cached;
            if (CacheWriteIncludedInInput)
            {
                write = Math.Min(write, rest);
                uncached = rest - write;
            }
            else
            {
                uncached = rest;
            }
        }
        else
        {
            uncached = input;
            if (CacheWriteIncludedInInput)
            {
                write = Math.Min(write, uncached);
                uncached -= write;
            }
        }

        long visibleOutput;
        if (ReasoningIncludedInOutput)
        {
            reasoning = Math.Min(reasoning, output);
            visibleOutput = output - reasoning;
        }
        else
        {
            visibleOutput = output;
        }

        return new TokenUsage(uncached, cached, write, visibleOutput, reasoning);
    }

    /// <summary>Converts disjoint billable counts back to M.E.AI's <see cref="UsageDetails"/> in the <see cref="OpenAI"/> convention.</summary>
    /// <param name="usage">The counts.</param>
    /// <returns>A new <see cref="UsageDetails"/>.</returns>
    public static UsageDetails ToUsageDetails(TokenUsage usage)
    {
        var details = new UsageDetails
        {
            InputTokenCount = usage.TotalInputTokens,
            OutputTokenCount = usage.TotalOutputTokens,
            TotalTokenCount = usage.TotalTokens,
            CachedInputTokenCount = usage.CachedInputTokens == 0 ? null : usage.CachedInputTokens,
            ReasoningTokenCount = usage.ReasoningTokens == 0 ? null : usage.ReasoningTokens,
        };

        if (usage.CacheWriteTokens > 0)
        {
            details.AdditionalCounts = new() { [CacheWriteCountKeys[0]] = usage.CacheWriteTokens };
        }

        return details;
    }

    private static long GetCacheWriteTokens(UsageDetails usage)
    {
        if (usage.AdditionalCounts is not { Count: > 0 } counts)
        {
            return 0;
        }

        foreach (var key in CacheWriteCountKeys)
        {
            if (counts.TryGetValue(key, out var value))
            {
                return value;
            }
        }

        return 0;
    }
}
