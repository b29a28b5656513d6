using CsCheck;
namespace TokenGovernor.Tests.Pricing;

/// <summary>Costs checked against the providers' published per-million prices (as recorded in the built-in catalog's sources).</summary>
public class CostCalculatorTests
{
    private static ModelPrice Price(string id) => PriceCatalog.BuiltIn.GetPrice(id);

    [Fact]
    public void Calculate_OpenAiCachedInput_BillsCachedSubsetAtCachedRate()
    {
        // gpt-4o: $2.50 input, $1.25 cached input, $10.00 output per 1M tokens (openai.com/api/pricing).
        var usage = new UsageDetails { InputTokenCount = 10_000, CachedInputTokenCount = 4_000, OutputTokenCount = 1_000 };

        var cost = CostCalculator.Calculate(usage, Price("gpt-4o"));

        Assert.Equal(0.015m, cost.Input);        // 6,000 uncached × $2.50/M
        Assert.Equal(0.005m, cost.CachedInput);  // 4,000 cached × $1.25/M
        Assert.Equal(0.010m, cost.Output);       // 1,000 × $10/M
        Assert.Equal(0.030m, cost.Total);
    }

    [Fact]
    public void Calculate_OpenAiReasoning_SplitsReasoningOutOfOutput()
    {
        // o3: $2 input, $8 output; reasoning tokens are output tokens billed at the output rate.
        var usage = new UsageDetails { InputTokenCount = 2_000, OutputTokenCount = 5_000, ReasoningTokenCount = 4_000 };

        var cost = CostCalculator.Calculate(usage, Price("o3"));

        Assert.Equal(0.004m, cost.Input);
        Assert.Equal(0.008m, cost.Output);
        Assert.Equal(0.032m, cost.Reasoning);
        Assert.Equal(0.044m, cost.Total);
    }

    [Fact]
    public void Calculate_OpenAiMiniWithCache_MatchesPublishedFigure()
    {
        // gpt-4o-mini: $0.15 input, $0.075 cached, $0.60 output. 1M prompt with half cached, 100k output.
        var usage = new UsageDetails { InputTokenCount = 1_000_000, CachedInputTokenCount = 500_000, OutputTokenCount = 100_000 };

        Assert.Equal(0.075m + 0.0375m + 0.06m, CostCalculator.Calculate(usage, Price("gpt-4o-mini")).Total);
    }

    [Fact]
    public void Calculate_AnthropicConvention_BillsCacheReadsAndWritesOutsideInput()
    {
        // Claude Sonnet 4: $3 input, $3.75 5-minute cache write, $0.30 cache hit, $15 output (docs.anthropic.com pricing).
        // Anthropic reports input_tokens without cache reads and cache writes.
        var usage = new UsageDetails
        {
            InputTokenCount = 1_000,
            CachedInputTokenCount = 50_000,
            OutputTokenCount = 2_000,
            AdditionalCounts = new() { ["cache_creation_input_tokens"] = 10_000 },
        };

        var cost = CostCalculator.Calculate(usage, Price("claude-sonnet-4"), UsageConvention.Anthropic);

        Assert.Equal(0.003m, cost.Input);
        Assert.Equal(0.015m, cost.CachedInput);
        Assert.Equal(0.0375m, cost.CacheWrite);
        Assert.Equal(0.030m, cost.Output);
        Assert.Equal(0.0855m, cost.Total);
    }

    [Fact]
    public void Calculate_OpenAiConventionWithCacheWrite_TakesWritesOutOfInput()
    {
        // M.E.AI convention: input counts every prompt token; cache-write tokens are a subset, read from AdditionalCounts.
        var usage = new UsageDetails
        {
            InputTokenCount = 61_000,
            CachedInputTokenCount = 50_000,
            OutputTokenCount = 2_000,
            AdditionalCounts = new() { ["CacheWriteInputTokenCount"] = 10_000 },
        };

        var cost = CostCalculator.Calculate(usage, Price("claude-sonnet-4"));

        Assert.Equal(0.0855m, cost.Total);
    }

    [Fact]
    public void Calculate_GeminiAboveLongContextThreshold_AppliesTierToWholeRequest()
    {
        // Gemini 2.5 Pro: $1.25/$10 up to 200k prompt tokens, $2.50/$15 above (ai.google.dev pricing).
        var below = CostCalculator.Calculate(new UsageDetails { InputTokenCount = 100_000, OutputTokenCount = 1_000 }, Price("gemini-2.5-pro"));
        var above = CostCalculator.Calculate(new UsageDetails { InputTokenCount = 250_000, OutputTokenCount = 1_000 }, Price("gemini-2.5-pro"));

        Assert.Equal(0.135m, below.Total);   // 0.125 + 0.010
        Assert.Equal(0.640m, above.Total);   // 0.625 + 0.015
    }

    [Fact]
    public void Calculate_GeminiLongContextCachedInput_UsesTierCachedRate()
    {
        var usage = new UsageDetails { InputTokenCount = 300_000, CachedInputTokenCount = 200_000, OutputTokenCount = 0 };

        var cost = CostCalculator.Calculate(usage, Price("gemini-2.5-pro"));

        Assert.Equal(0.25m, cost.Input);        // 100k × $2.50/M
        Assert.Equal(0.05m, cost.CachedInput);  // 200k × $0.25/M (cache reads above 200k since Google's caching price cut)
    }

    [Fact]
    public void Calculate_ClaudeSonnet4OneMillionContext_AppliesPremiumAbove200k()
    {
        // Claude Sonnet 4.5 with the (since retired) 1M context: prompts over 200k were billed $6 input / $22.50 output.
        var cost = CostCalculator.Calculate(new UsageDetails { InputTokenCount = 300_000, OutputTokenCount = 1_000 }, Price("claude-sonnet-4-5"));

        Assert.Equal(1.8225m, cost.Total);
    }

    [Fact]
    public void Calculate_GeminiNativeConvention_BillsThoughtsBesideOutput()
    {
        // Gemini 2.5 Flash: $0.30 input, $2.50 output (thinking billed as output). Native usage reports thoughts apart.
        var usage = new UsageDetails { InputTokenCount = 10_000, OutputTokenCount = 1_000, ReasoningTokenCount = 500 };

        var cost = CostCalculator.Calculate(usage, Price("gemini-2.5-flash"), UsageConvention.GeminiNative);

        Assert.Equal(0.003m, cost.Input);
        Assert.Equal(0.0025m, cost.Output);
        Assert.Equal(0.00125m, cost.Reasoning);
    }

    [Fact]
    public void Calculate_DeepSeekCacheHit_BillsAtCacheHitRate()
    {
        // DeepSeek-V3 (deepseek-chat): $0.27 cache miss, $0.07 cache hit, $1.10 output.
        var usage = new UsageDetails { InputTokenCount = 1_000_000, CachedInputTokenCount = 600_000, OutputTokenCount = 100_000 };

        Assert.Equal(0.108m + 0.042m + 0.11m, CostCalculator.Calculate(usage, Price("deepseek-chat")).Total);
    }

    [Fact]
    public void Calculate_InconsistentReport_ClampsSubsetsAndNeverGoesNegative()
    {
        var usage = new UsageDetails { InputTokenCount = 100, CachedInputTokenCount = 500, OutputTokenCount = 10, ReasoningTokenCount = 50 };

        var normalised = UsageConvention.OpenAI.Normalize(usage);

        Assert.Equal(new TokenUsage(0, 100, 0, 0, 10), normalised);
    }

    [Fact]
    public void Calculate_AnyUsage_IsMonotonicInEveryTokenCount()
    {
        var random = new Random(20261123);
        var prices = PriceCatalog.BuiltIn.Models.ToArray();
        for (var i = 0; i < 2_000; i++)
        {
            var price = prices[random.Next(prices.Length)];
            var usage = new TokenUsage(random.Next(0, 400_000), random.Next(0, 50_000), random.Next(0, 10_000), random.Next(0, 20_000), random.Next(0, 20_000));
            var baseCost = CostCalculator.Calculate(usage, price).Total;

            Assert.True(CostCalculator.Calculate(usage with { UncachedInputTokens = usage.UncachedInputTokens + 1 }, price).Total >= baseCost);
            Assert.True(CostCalculator.Calculate(usage with { CachedInputTokens = usage.CachedInputTokens + 1 }, price).Total >= baseCost);
            Assert.True(CostCalculator.Calculate(usage with { CacheWriteTokens = usage.CacheWriteTokens + 1 }, price).Total >= baseCost);
            Assert.True(CostCalculator.Calculate(usage with { OutputTokens = usage.OutputTokens + 1 }, price).Total >= baseCost);
            Assert.True(CostCalculator.Calculate(usage with { ReasoningTokens = usage.ReasoningTokens + 1 }, price).Total >= baseCost);
        }
    }

    [Fact]
    public void Calculate_SameUsageTwice_IsReproducibleToTheLastDigit()
    {
        var usage = new UsageDetails { InputTokenCount = 123_457, CachedInputTokenCount = 3_333, OutputTokenCount = 7_777, ReasoningTokenCount = 1_111 };
        var a = CostCalculator.Calculate(usage, Price("o4-mini"));
        var b = CostCalculator.Calculate(usage, Price("o4-mini"));

        Assert.Equal(a, b);
        Assert.Equal(a.Input + a.CachedInput + a.CacheWrite + a.Output + a.Reasoning, a.Total);
    }

    [Fact]
    public void EstimateBounds_AnyPriceAndCounts_EqualsPricingBothUsages()
    {
        var rate = Gen.Int[0, 40_000].Select(c => c / 1000m);
        var price = Gen.Select(rate, rate, Gen.Bool, Gen.Long[1, 300_000], rate, rate).Select((input, output, tiered, threshold, lcIn, lcOut) => new ModelPrice("m", input, output)
        {
            ReasoningPerMillion = output * 1.5m,
            LongContext = tiered ? new LongContextPrice(threshold, lcIn, lcOut) : null,
        });

        Gen.Select(price, Gen.Long[0, 400_000], Gen.Long[0, 100_000]).Sample((p, prompt, max) =>
        {
            var (promptCost, maxOutputCost) = CostCalculator.EstimateBounds(prompt, max, p);
            var asOutput = CostCalculator.Calculate(new TokenUsage(prompt, 0, 0, max, 0), p);
            var asReasoning = CostCalculator.Calculate(new TokenUsage(prompt, 0, 0, 0, max), p);
            return promptCost == asOutput.TotalInput && maxOutputCost == Math.Max(asOutput.TotalOutput, asReasoning.TotalOutput);
        });
    }

    [Fact]
    public void Calculate_AnyPlainUsageWithZeroKinds_EqualsEachKindsTokensTimesItsRate()
    {
        // The plain path skips the multiplications of a kind with no tokens; every kind must still equal tokens × rate × 10⁻⁶.
        var prices = PriceCatalog.BuiltIn.Models.Where(p => p.RequestsPerThousand is null).ToArray();
        var count = Gen.OneOf(Gen.Const(0L), Gen.Long[1, 150_000]);
        Gen.Select(Gen.Int[0, prices.Length - 1], count, count, count, Gen.Select(count, count)).Sample((i, input, cached, write, rest) =>
        {
            var price = prices[i];
            var usage = new TokenUsage(input, cached, write, rest.Item1, rest.Item2);
            var cost = CostCalculator.Calculate(usage, price);
            if (price.LongContext is { } lc && usage.TotalInputTokens > lc.ThresholdTokens)
            {
                return true; // not the plain path
            }

            return cost.Input == input * price.InputPerMillion / 1_000_000m
                && cost.CachedInput == cached * price.EffectiveCachedInputPerMillion / 1_000_000m
                && cost.CacheWrite == write * price.EffectiveCacheWritePerMillion / 1_000_000m
                && cost.Output == rest.Item1 * price.OutputPerMillion / 1_000_000m
                && cost.Reasoning == rest.Item2 * price.EffectiveReasoningPerMillion / 1_000_000m
                && cost.Total == cost.Input + cost.CachedInput + cost.CacheWrite + cost.Output + cost.Reasoning;
        });
    }
}
