using System.Text.Json;

namespace TokenGovernor.Tests.Pricing;

/// <summary>
/// Raw usage blocks priced end to end (parser → built-in catalog → calculator) against figures computed by hand from the
/// providers' published price tables: each expected amount is written out as the sum the provider's page implies.
/// </summary>
public class PublishedPriceExamplesTests
{
    private static CostBreakdown PriceRaw(string model, string json, ProviderUsageFormat format, DateTimeOffset? at = null)
    {
        using var doc = JsonDocument.Parse(json);
        var parsed = ProviderUsageParser.Parse(doc.RootElement, format);
        return CostCalculator.CalculateAt(parsed.Usage, PriceCatalog.BuiltIn.GetPrice(model), parsed.ServiceTier, at);
    }

    [Fact]
    public void Anthropic_CacheWritesByTtl_FiveMinuteAt125PercentOneHourAt200Percent()
    {
        // Claude Sonnet 4.5 (docs.anthropic.com pricing): input $3, 5-minute cache write $3.75, 1-hour cache write $6,
        // cache hit $0.30, output $15 per MTok.
        var cost = PriceRaw("claude-sonnet-4-5-20250929", """
            {"input_tokens":50,"cache_creation_input_tokens":30000,"cache_read_input_tokens":100000,
             "cache_creation":{"ephemeral_5m_input_tokens":10000,"ephemeral_1h_input_tokens":20000},"output_tokens":1000}
            """, ProviderUsageFormat.Anthropic);

        Assert.Equal(0.00015m, cost.Input);     // 50 × $3/M
        Assert.Equal(0.0375m, cost.CacheWrite); // 10,000 × $3.75/M
        Assert.Equal(0.12m, cost.CacheWrite1h); // 20,000 × $6/M
        Assert.Equal(0.03m, cost.CachedInput);  // 100,000 × $0.30/M
        Assert.Equal(0.015m, cost.Output);      // 1,000 × $15/M
        Assert.Equal(0.20265m, cost.Total);
    }

    [Fact]
    public void Anthropic_OpusOneHourWrite_IsTwiceTheInputRate()
    {
        // Claude Opus 4.1: input $15, 1-hour cache write $30 per MTok; 1M one-hour write tokens cost exactly $30.
        var cost = PriceRaw("claude-opus-4-1-20250805", """
            {"input_tokens":0,"cache_creation_input_tokens":1000000,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":1000000},"output_tokens":0}
            """, ProviderUsageFormat.Anthropic);

        Assert.Equal(30m, cost.Total);
    }

    [Fact]
    public void Anthropic_WebSearch_TenDollarsPerThousandSearches()
    {
        var cost = PriceRaw("claude-sonnet-4-5", """{"input_tokens":0,"output_tokens":0,"server_tool_use":{"web_search_requests":3}}""", ProviderUsageFormat.Anthropic);

        Assert.Equal(0.03m, cost.WebSearch);
        Assert.Equal(0.03m, cost.Total);
    }

    [Fact]
    public void OpenAI_FlexResponse_PricedAtFlexRates()
    {
        // gpt-5 Flex (openai.com/api/pricing, Flex): input $0.625, cached $0.0625, output $5.00 per MTok.
        var cost = PriceRaw("gpt-5-2025-08-07", """
            {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-5-2025-08-07","service_tier":"flex",
             "usage":{"prompt_tokens":2000,"completion_tokens":1000,"total_tokens":3000,"prompt_tokens_details":{"cached_tokens":1000},
                      "completion_tokens_details":{"reasoning_tokens":600}}}
            """, ProviderUsageFormat.OpenAIChat);

        Assert.Equal("flex", cost.ServiceTier);
        Assert.Equal(0.000625m, cost.Input);
        Assert.Equal(0.0000625m, cost.CachedInput);
        Assert.Equal(0.005m, cost.Output + cost.Reasoning);
        Assert.Equal(0.0056875m, cost.Total);
    }

    [Fact]
    public void OpenAI_PriorityResponse_PricedAtPriorityRates()
    {
        // gpt-5 Priority: input $2.50, cached $0.25, output $20.00 per MTok.
        var cost = PriceRaw("gpt-5", """
            {"service_tier":"priority","usage":{"input_tokens":2000,"output_tokens":1000,"input_tokens_details":{"cached_tokens":1000},"output_tokens_details":{"reasoning_tokens":0}}}
            """, ProviderUsageFormat.OpenAIResponses);

        Assert.Equal("priority", cost.ServiceTier);
        Assert.Equal(0.0025m + 0.00025m + 0.02m, cost.Total);
    }

    [Theory]
    [InlineData("gpt-5.4", "5", "0.5", "30")]
    [InlineData("gpt-5.4-mini", "1.5", "0.15", "9")]
    [InlineData("gpt-5.2", "3.5", "0.35", "28")]
    [InlineData("gpt-4o-2024-05-13", "8.75", "8.75", "26.25")]
    public void OpenAI_PriorityListedModel_PricedAtThePagesPriorityRates(string model, string input, string cached, string output)
    {
        // openai.com/api-priority-processing, per MTok: input, cached input (gpt-4o-2024-05-13 lists none: billed as input), output.
        var cost = PriceRaw(model, """
            {"service_tier":"priority","usage":{"input_tokens":3000000,"output_tokens":1000000,"input_tokens_details":{"cached_tokens":1000000}}}
            """, ProviderUsageFormat.OpenAIResponses);

        Assert.Equal("priority", cost.ServiceTier);
        Assert.Equal((2 * Rate(input)) + Rate(cached) + Rate(output), cost.Total);
    }

    [Fact]
    public void OpenAI_PriorityReportedForUnlistedModel_PricedAtStandardRates()
    {
        // gpt-5-nano is not on the priority page, so no priority rate is invented: its standard $0.05 per MTok input applies.
        var cost = PriceRaw("gpt-5-nano", """{"service_tier":"priority","usage":{"prompt_tokens":1000000,"completion_tokens":0}}""", ProviderUsageFormat.OpenAIChat);

        Assert.Null(cost.ServiceTier);
        Assert.Equal(0.05m, cost.Total);
    }

    [Fact]
    public void Gemini_FlexAndPriorityTiers_HalfAndOnePointEightTimesStandard()
    {
        // gemini-3.7-flash: genai-prices notes Flex at 50% and Priority at 1.8x of the standard rates (Google's pricing page).
        var standard = PriceCatalog.BuiltIn.GetPrice("gemini-3.7-flash");

        Assert.Equal(standard.InputPerMillion * 0.5m, standard.ForServiceTier("flex").InputPerMillion);
        Assert.Equal(standard.OutputPerMillion * 1.8m, standard.ForServiceTier("priority").OutputPerMillion);
    }

    private static decimal Rate(string perMillion) => decimal.Parse(perMillion, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void OpenAI_PriorityRequestedButDefaultReported_PricedAtStandardRates()
    {
        // The tier the response reports is billed, not the one requested: OpenAI downgrades to default under load.
        var cost = PriceRaw("gpt-5", """{"service_tier":"default","usage":{"prompt_tokens":1000000,"completion_tokens":0}}""", ProviderUsageFormat.OpenAIChat);

        Assert.Null(cost.ServiceTier);
        Assert.Equal(1.25m, cost.Total);
    }

    [Fact]
    public void Anthropic_BatchTier_IsHalfPrice()
    {
        // Message Batches: 50% of $3 / $15 per MTok.
        var cost = PriceRaw("claude-sonnet-4-5", """{"input_tokens":100000,"output_tokens":100000,"service_tier":"batch"}""", ProviderUsageFormat.Anthropic);

        Assert.Equal("batch", cost.ServiceTier);
        Assert.Equal(0.15m + 0.75m, cost.Total);
    }

    [Fact]
    public void Gemini_ThoughtsAndCache_ThoughtsBilledAsOutputCacheAtCachedRate()
    {
        // Gemini 2.5 Flash (ai.google.dev pricing): input $0.30, context-cache read $0.03, output (thinking included) $2.50 per MTok.
        var cost = PriceRaw("gemini-2.5-flash", """
            {"candidates":[],"modelVersion":"gemini-2.5-flash","usageMetadata":{"promptTokenCount":12000,"cachedContentTokenCount":8000,
             "candidatesTokenCount":800,"thoughtsTokenCount":1500,"totalTokenCount":14300}}
            """, ProviderUsageFormat.Gemini);

        Assert.Equal(0.0012m, cost.Input);         // 4,000 uncached × $0.30/M
        Assert.Equal(0.00024m, cost.CachedInput);  // 8,000 × $0.03/M
        Assert.Equal(0.002m, cost.Output);         // 800 × $2.50/M
        Assert.Equal(0.00375m, cost.Reasoning);    // 1,500 thoughts × $2.50/M
        Assert.Equal(0.00719m, cost.Total);
    }

    [Fact]
    public void Gemini_AudioInput_BilledAtAudioRate()
    {
        // Gemini 2.5 Flash audio input: $1.00 per MTok against $0.30 for text.
        var cost = PriceRaw("gemini-2.5-flash", """
            {"usageMetadata":{"promptTokenCount":3000,"candidatesTokenCount":0,"promptTokensDetails":[{"modality":"TEXT","tokenCount":1000},{"modality":"AUDIO","tokenCount":2000}]}}
            """, ProviderUsageFormat.Gemini);

        Assert.Equal(0.002m, cost.InputAudio);
        Assert.Equal(0.0003m, cost.Input);
    }

    [Fact]
    public void O3_BeforeAndAfterPriceCut_EachPricedAtItsDaysRate()
    {
        // o3 was $10 / $40 per MTok until 2025-06-10, then $2 / $8 (an 80% cut).
        const string usage = """{"input_tokens":1000000,"output_tokens":1000000,"output_tokens_details":{"reasoning_tokens":800000}}""";

        var before = PriceRaw("o3-2025-04-16", usage, ProviderUsageFormat.OpenAIResponses, new DateTimeOffset(2025, 6, 9, 23, 59, 0, TimeSpan.Zero));
        var after = PriceRaw("o3-2025-04-16", usage, ProviderUsageFormat.OpenAIResponses, new DateTimeOffset(2025, 6, 10, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(50m, before.Total);
        Assert.Equal(10m, after.Total);
    }

    [Fact]
    public void O3_FlexBeforeAndAfterPriceCut_HalfOfEachDaysRate()
    {
        // Flex processing (April 2025) listed o3 at $5 / $20 per MTok, half of the $10 / $40 of the day; after the cut on
        // 2025-06-10, flex is half of $2 / $8: $1 / $4.
        const string usage = """{"input_tokens":1000000,"output_tokens":1000000,"output_tokens_details":{"reasoning_tokens":800000},"service_tier":"flex"}""";

        var before = PriceRaw("o3-2025-04-16", usage, ProviderUsageFormat.OpenAIResponses, new DateTimeOffset(2025, 5, 1, 12, 0, 0, TimeSpan.Zero));
        var after = PriceRaw("o3-2025-04-16", usage, ProviderUsageFormat.OpenAIResponses, new DateTimeOffset(2025, 7, 1, 12, 0, 0, TimeSpan.Zero));

        Assert.Equal("flex", before.ServiceTier);
        Assert.Equal(25m, before.Total);
        Assert.Equal("flex", after.ServiceTier);
        Assert.Equal(5m, after.Total);
    }

    [Fact]
    public void GeminiBatch_DuringIntroductoryPrice_HalfOfTheIntroductoryRate()
    {
        // gemini-3.7-flash: introductory $0.75 / $3.75 per MTok until 2027-01-01, then $1.50 / $7.50; batch is 50% of the rate
        // in force, so a batch call today costs half the introductory rate, not the introductory rate itself.
        var price = PriceCatalog.BuiltIn.GetPrice("gemini-3.7-flash");
        var usage = new TokenUsage(1_000_000, 0, 0, 1_000_000, 0);

        var batchNow = CostCalculator.CalculateAt(usage, price, "batch", new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var batchLater = CostCalculator.CalculateAt(usage, price, "batch", new DateTimeOffset(2027, 2, 1, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal("batch", batchNow.ServiceTier);
        Assert.Equal(0.375m + 1.875m, batchNow.Total);
        Assert.Equal(0.75m + 3.75m, batchLater.Total);
    }

    [Fact]
    public void O3_PriorityBeforePriceCut_StandardRateOfTheDay()
    {
        // The priority page's o3 rates ($3.50 / $14) were published after the cut; for a day before it no rates are known, so
        // the call is billed at that day's standard rate and the breakdown names no tier.
        var cost = PriceRaw("o3", """{"input_tokens":1000000,"output_tokens":0,"service_tier":"priority"}""", ProviderUsageFormat.OpenAIResponses,
            new DateTimeOffset(2025, 5, 1, 12, 0, 0, TimeSpan.Zero));

        Assert.Null(cost.ServiceTier);
        Assert.Equal(10m, cost.Total);
    }

    [Fact]
    public void Calculate_NoTime_UsesCurrentRates()
    {
        Assert.Equal(2m, PriceCatalog.BuiltIn.GetPrice("o3").InputPerMillion);
    }

    [Fact]
    public void DeepSeek_OffPeakWindow_AppliesOnlyInsideIt()
    {
        var price = PriceCatalog.BuiltIn.GetPrice("deepseek-chat");

        Assert.Equal(0.27m, price.PriceAt(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero)).InputPerMillion);
        Assert.Equal(0.135m, price.PriceAt(new DateTimeOffset(2026, 1, 1, 20, 0, 0, TimeSpan.Zero)).InputPerMillion);
    }

    [Fact]
    public void Gpt54_Above272k_LongContextRatesForTheWholeRequest()
    {
        // gpt-5.4: $2.50 / $15 per MTok; at 272k input tokens and above, input 2x and output 1.5x.
        var cost = PriceRaw("gpt-5.4", """{"input_tokens":300000,"output_tokens":1000}""", ProviderUsageFormat.OpenAIResponses);

        Assert.Equal(271_999, cost.LongContextThresholdTokens);
        Assert.Equal(1.5m + 0.0225m, cost.Total);
    }

    [Fact]
    public void Embedding_InputOnly_PricedPerInputToken()
    {
        var cost = PriceRaw("text-embedding-3-small", """{"prompt_tokens":1000000,"total_tokens":1000000}""", ProviderUsageFormat.OpenAIChat);

        Assert.Equal(0.02m, cost.Total);
    }
}
