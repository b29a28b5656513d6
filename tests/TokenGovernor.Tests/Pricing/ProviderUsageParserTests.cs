using System.Text.Json;

namespace TokenGovernor.Tests.Pricing;

/// <summary>Each provider's usage block, non-streaming and as its stream reports it, read to the same disjoint counts.</summary>
public class ProviderUsageParserTests
{
    private static ProviderUsage One(string json, ProviderUsageFormat format = ProviderUsageFormat.Auto)
    {
        using var doc = JsonDocument.Parse(json);
        return ProviderUsageParser.Parse(doc.RootElement.Clone(), format);
    }

    // SSE text → the JSON payload of each "data:" line (the way each API streams).
    private static ProviderUsage Stream(string sse, ProviderUsageFormat format = ProviderUsageFormat.Auto)
    {
        var events = sse.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("data:", StringComparison.Ordinal) && !l.EndsWith("[DONE]", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l[5..]).RootElement.Clone())
            .ToList();
        return ProviderUsageParser.ParseStream(events, format);
    }

    [Fact]
    public void Parse_OpenAIChatBody_CachedAndReasoningAreParts()
    {
        var u = One("""
            {"id":"chatcmpl-9","object":"chat.completion","model":"gpt-4o-2024-08-06","service_tier":"default",
             "choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":1200,"completion_tokens":300,"total_tokens":1500,
                      "prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},
                      "completion_tokens_details":{"reasoning_tokens":100,"audio_tokens":0}}}
            """, ProviderUsageFormat.OpenAIChat);

        Assert.Equal(new TokenUsage(176, 1024, 0, 200, 100), u.Usage);
        Assert.Equal("default", u.ServiceTier);
        Assert.Equal("gpt-4o-2024-08-06", u.ModelId);
    }

    [Fact]
    public void ParseStream_OpenAIChatWithIncludeUsage_SameAsBody()
    {
        var u = Stream("""
            data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"content":"Hi"}}],"usage":null}
            data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}
            data: {"id":"c","object":"chat.completion.chunk","model":"gpt-4o-2024-08-06","service_tier":"default","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":300,"total_tokens":1500,"prompt_tokens_details":{"cached_tokens":1024},"completion_tokens_details":{"reasoning_tokens":100}}}
            data: [DONE]
            """, ProviderUsageFormat.OpenAIChat);

        Assert.Equal(new TokenUsage(176, 1024, 0, 200, 100), u.Usage);
        Assert.Equal("gpt-4o-2024-08-06", u.ModelId);
    }

    [Fact]
    public void Parse_OpenAIResponsesBody_ReadsInputAndOutputDetails()
    {
        var u = One("""
            {"id":"resp_1","object":"response","model":"o3-2025-04-16","service_tier":"flex",
             "usage":{"input_tokens":5000,"input_tokens_details":{"cached_tokens":4000},"output_tokens":900,"output_tokens_details":{"reasoning_tokens":700},"total_tokens":5900}}
            """);

        Assert.Equal(ProviderUsageFormat.OpenAIResponses, u.Format);
        Assert.Equal(new TokenUsage(1000, 4000, 0, 200, 700), u.Usage);
        Assert.Equal("flex", u.ServiceTier);
    }

    [Fact]
    public void ParseStream_OpenAIResponsesCompletedEvent_SameAsBody()
    {
        var u = Stream("""
            event: response.created
            data: {"type":"response.created","response":{"id":"resp_1","model":"o3-2025-04-16","usage":null}}
            event: response.output_text.delta
            data: {"type":"response.output_text.delta","delta":"Hi"}
            event: response.completed
            data: {"type":"response.completed","response":{"id":"resp_1","model":"o3-2025-04-16","service_tier":"flex","usage":{"input_tokens":5000,"input_tokens_details":{"cached_tokens":4000},"output_tokens":900,"output_tokens_details":{"reasoning_tokens":700},"total_tokens":5900}}}
            """);

        Assert.Equal(new TokenUsage(1000, 4000, 0, 200, 700), u.Usage);
        Assert.Equal("flex", u.ServiceTier);
        Assert.Equal("o3-2025-04-16", u.ModelId);
    }

    [Fact]
    public void Parse_AnthropicMessage_CacheOutsideInputAndTtlSplit()
    {
        var u = One("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hi"}],
             "usage":{"input_tokens":50,"cache_creation_input_tokens":30000,"cache_read_input_tokens":100000,
                      "cache_creation":{"ephemeral_5m_input_tokens":10000,"ephemeral_1h_input_tokens":20000},
                      "output_tokens":1000,"server_tool_use":{"web_search_requests":2},"service_tier":"standard"}}
            """);

        Assert.Equal(ProviderUsageFormat.Anthropic, u.Format);
        Assert.Equal(new TokenUsage(50, 100000, 30000, 1000, 0) { CacheWrite1hTokens = 20000, WebSearchCalls = 2 }, u.Usage);
        Assert.Equal("standard", u.ServiceTier);
    }

    [Fact]
    public void ParseStream_AnthropicStartAndDelta_SameAsMessage()
    {
        var u = Stream("""
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[],"usage":{"input_tokens":50,"cache_creation_input_tokens":30000,"cache_read_input_tokens":100000,"cache_creation":{"ephemeral_5m_input_tokens":10000,"ephemeral_1h_input_tokens":20000},"output_tokens":1,"service_tier":"standard"}}}
            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}
            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":1000,"server_tool_use":{"web_search_requests":2}}}
            event: message_stop
            data: {"type":"message_stop"}
            """, ProviderUsageFormat.Anthropic);

        Assert.Equal(new TokenUsage(50, 100000, 30000, 1000, 0) { CacheWrite1hTokens = 20000, WebSearchCalls = 2 }, u.Usage);
        Assert.Equal("claude-sonnet-4-5-20250929", u.ModelId);
    }

    [Fact]
    public void Parse_GeminiBody_ThoughtsBesideCandidates()
    {
        var u = One("""
            {"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"}}],"modelVersion":"gemini-2.5-flash",
             "usageMetadata":{"promptTokenCount":12000,"cachedContentTokenCount":8000,"candidatesTokenCount":800,"thoughtsTokenCount":1500,"totalTokenCount":14300,
                              "promptTokensDetails":[{"modality":"TEXT","tokenCount":12000}]}}
            """);

        Assert.Equal(ProviderUsageFormat.Gemini, u.Format);
        Assert.Equal(new TokenUsage(4000, 8000, 0, 800, 1500), u.Usage);
        Assert.Equal("gemini-2.5-flash", u.ModelId);
    }

    [Fact]
    public void ParseStream_GeminiRunningUsage_LastCountsWin()
    {
        var u = Stream("""
            data: {"candidates":[{"content":{"parts":[{"text":"H"}]}}],"usageMetadata":{"promptTokenCount":12000,"cachedContentTokenCount":8000,"candidatesTokenCount":10,"thoughtsTokenCount":1500,"totalTokenCount":13510},"modelVersion":"gemini-2.5-flash"}
            data: {"candidates":[{"content":{"parts":[{"text":"i"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":12000,"cachedContentTokenCount":8000,"candidatesTokenCount":800,"thoughtsTokenCount":1500,"totalTokenCount":14300},"modelVersion":"gemini-2.5-flash"}
            """, ProviderUsageFormat.Gemini);

        Assert.Equal(new TokenUsage(4000, 8000, 0, 800, 1500), u.Usage);
    }

    [Fact]
    public void Parse_DeepSeekCacheHitFields_ReadAsCachedInput()
    {
        var u = One("""
            {"model":"deepseek-chat","usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200,"prompt_cache_hit_tokens":600,"prompt_cache_miss_tokens":400}}
            """, ProviderUsageFormat.DeepSeek);

        Assert.Equal(new TokenUsage(400, 600, 0, 200, 0), u.Usage);
    }

    [Fact]
    public void Parse_MistralBody_ReadAsChatCompletions()
    {
        var u = One("""{"id":"x","model":"mistral-large-latest","usage":{"prompt_tokens":500,"completion_tokens":80,"total_tokens":580}}""", ProviderUsageFormat.Mistral);

        Assert.Equal(new TokenUsage(500, 0, 0, 80, 0), u.Usage);
    }

    [Fact]
    public void Parse_OpenRouterBody_KeepsReportedCostAndCacheWrites()
    {
        var u = One("""
            {"model":"anthropic/claude-sonnet-4.5","usage":{"prompt_tokens":3000,"completion_tokens":100,"total_tokens":3100,"cost":0.0123,
             "prompt_tokens_details":{"cached_tokens":1000,"cache_write_tokens":1500},"completion_tokens_details":{"reasoning_tokens":0}}}
            """, ProviderUsageFormat.OpenRouter);

        Assert.Equal(new TokenUsage(500, 1000, 1500, 100, 0), u.Usage);
        Assert.Equal(0.0123m, u.ReportedCost);
    }

    [Fact]
    public void Parse_ReasoningReportedBesideCompletion_TotalShowsItAndItIsAdded()
    {
        // xAI reports reasoning_tokens outside completion_tokens: total = prompt + completion + reasoning.
        var u = One("""{"usage":{"prompt_tokens":100,"completion_tokens":50,"total_tokens":350,"completion_tokens_details":{"reasoning_tokens":200}}}""", ProviderUsageFormat.OpenAIChat);

        Assert.Equal(new TokenUsage(100, 0, 0, 50, 200), u.Usage);
    }

    [Fact]
    public void Parse_MislabelledFormat_FallsBackToTheBlocksShape()
    {
        var u = One("""{"input_tokens":10,"cache_read_input_tokens":90,"output_tokens":5}""", ProviderUsageFormat.OpenAIChat);

        Assert.Equal(ProviderUsageFormat.Anthropic, u.Format);
        Assert.Equal(new TokenUsage(10, 90, 0, 5, 0), u.Usage);
    }

    [Fact]
    public void Parse_BedrockConverse_CacheOutsideInput()
    {
        var u = One("""{"usage":{"inputTokens":100,"outputTokens":20,"totalTokens":1120,"cacheReadInputTokens":800,"cacheWriteInputTokens":200}}""");

        Assert.Equal(new TokenUsage(100, 800, 200, 20, 0), u.Usage);
    }

    [Fact]
    public void Parse_OllamaResponse_CountsOnTheBody()
    {
        var u = One("""{"model":"llama3.2","done":true,"prompt_eval_count":26,"eval_count":298}""");

        Assert.Equal(new TokenUsage(26, 0, 0, 298, 0), u.Usage);
    }

    [Fact]
    public void Parse_NoUsage_ThrowsFormatException()
    {
        Assert.Throws<FormatException>(() => One("""{"id":"x","choices":[]}"""));
    }

    [Fact]
    public void ParseStream_NoEventWithUsage_ThrowsNamingIncludeUsage()
    {
        var ex = Assert.Throws<FormatException>(() => Stream("""data: {"choices":[{"delta":{"content":"x"}}],"usage":null}"""));
        Assert.Contains("include_usage", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("openai-chat", ProviderUsageFormat.OpenAIChat)]
    [InlineData("openai-responses", ProviderUsageFormat.OpenAIResponses)]
    [InlineData("anthropic", ProviderUsageFormat.Anthropic)]
    [InlineData("gemini", ProviderUsageFormat.Gemini)]
    [InlineData("OpenRouter", ProviderUsageFormat.OpenRouter)]
    public void TryParseFormat_CliNames_Known(string name, ProviderUsageFormat expected)
    {
        Assert.True(ProviderUsageParser.TryParseFormat(name, out var format));
        Assert.Equal(expected, format);
    }

    [Fact]
    public void TryParseFormat_UnknownName_False() => Assert.False(ProviderUsageParser.TryParseFormat("carrier-pigeon", out _));
}
