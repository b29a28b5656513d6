using System.Text.Json;

namespace TokenGovernor;

/// <summary>
/// Reads the usage block a provider's API returned — as JSON, non-streaming or from stream events — into the library's
/// disjoint billable counts (<see cref="TokenUsage"/>), with the service tier the response reports and any cost the provider
/// reported itself. One method per provider convention; this is where raw usage is normalised (docs/PriceCatalog.md lists each mapping).
/// </summary>
/// <remarks>Stateless and thread-safe. Counts that a provider reports inconsistently (a part larger than its whole) are clamped,
/// never negative.</remarks>
public static class ProviderUsageParser
{
    /// <summary>Parses a format name as the CLI and price files spell it: <c>openai-chat</c>, <c>openai-responses</c>,
    /// <c>anthropic</c>, <c>gemini</c>, <c>mistral</c>, <c>deepseek</c>, <c>openrouter</c>, <c>bedrock</c>, <c>ollama</c> or <c>auto</c>
    /// (also <c>openai</c>, <c>chat</c>, <c>responses</c>, <c>google</c>, <c>vertex</c>, <c>xai</c>, <c>groq</c>, <c>together</c>).</summary>
    /// <param name="name">The name.</param>
    /// <param name="format">The format.</param>
    /// <returns><see langword="true"/> when the name is known.</returns>
    public static bool TryParseFormat(string? name, out ProviderUsageFormat format)
    {
        format = (name ?? "auto").Trim().ToLowerInvariant() switch
        {
            "auto" or "" => ProviderUsageFormat.Auto,
            "openai-chat" or "openai" or "chat" or "openai_chat" or "azure" or "xai" or "x-ai" or "groq" or "together" or "fireworks" or "cerebras" => ProviderUsageFormat.OpenAIChat,
            "openai-responses" or "responses" or "openai_responses" or "openai-realtime" => ProviderUsageFormat.OpenAIResponses,
            "anthropic" or "claude" => ProviderUsageFormat.Anthropic,
            "gemini" or "google" or "vertex" or "vertex-ai" => ProviderUsageFormat.Gemini,
            "mistral" => ProviderUsageFormat.Mistral,
            "deepseek" => ProviderUsageFormat.DeepSeek,
            "openrouter" => ProviderUsageFormat.OpenRouter,
            "bedrock" or "bedrock-converse" => ProviderUsageFormat.Bedrock,
            "ollama" => ProviderUsageFormat.Ollama,
            _ => (ProviderUsageFormat)(-1),
        };
        return Enum.IsDefined(format);
    }

    /// <summary>Reads one usage block, or a whole response body or stream event that contains one (<c>usage</c>,
    /// <c>usageMetadata</c>, <c>message.usage</c>, <c>response.usage</c>).</summary>
    /// <param name="body">The JSON as the API returned it.</param>
    /// <param name="format">The provider's convention; <see cref="ProviderUsageFormat.Auto"/> works it out from the field names.
    /// A named format whose fields are absent from the block falls back to detection, so a mislabelled block is still read right.</param>
    /// <returns>The usage.</returns>
    /// <exception cref="FormatException">The JSON carries no usage block this parser knows.</exception>
    public static ProviderUsage Parse(JsonElement body, ProviderUsageFormat format = ProviderUsageFormat.Auto)
    {
        var (usage, container) = FindUsage(body);
        if (usage.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("No usage block found: expected a usage object (usage, usageMetadata, message.usage or response.usage) with token counts.");
        }

        if (format == ProviderUsageFormat.Auto || !Fits(usage, format))
        {
            format = Detect(usage);
        }

        var parsed = format switch
        {
            ProviderUsageFormat.OpenAIChat or ProviderUsageFormat.Mistral or ProviderUsageFormat.OpenRouter or ProviderUsageFormat.DeepSeek => ChatCompletions(usage),
            ProviderUsageFormat.OpenAIResponses => Responses(usage),
            ProviderUsageFormat.Anthropic => Anthropic(usage),
            ProviderUsageFormat.Gemini => Gemini(usage),
            ProviderUsageFormat.Bedrock => Bedrock(usage),
            ProviderUsageFormat.Ollama => Ollama(usage),
            _ => throw new FormatException($"Usage format {format} is not supported."),
        };

        var tier = Text(usage, "service_tier") ?? Text(container, "service_tier") ?? Text(body, "service_tier");
        var model = Text(container, "model") ?? Text(body, "model") ?? Text(body, "modelVersion") ?? Text(container, "modelVersion");
        decimal? cost = usage.TryGetProperty("cost", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetDecimal(out var d) ? d : null;
        return new ProviderUsage(parsed) { Format = format, ServiceTier = tier, ReportedCost = cost, ModelId = model };
    }

    /// <summary>Reads the usage of a streamed response from its events (SSE <c>data:</c> payloads, NDJSON lines), in order. Providers
    /// repeat or accumulate usage across events (Anthropic's <c>message_start</c> then <c>message_delta</c>, Gemini's running
    /// <c>usageMetadata</c>, OpenAI's final chunk), so each count is the largest any event reported.</summary>
    /// <param name="events">The events' JSON payloads.</param>
    /// <param name="format">The provider's convention, or <see cref="ProviderUsageFormat.Auto"/>.</param>
    /// <returns>The usage of the whole stream.</returns>
    /// <exception cref="FormatException">No event carried usage.</exception>
    public static ProviderUsage ParseStream(IEnumerable<JsonElement> events, ProviderUsageFormat format = ProviderUsageFormat.Auto)
    {
        ArgumentNullException.ThrowIfNull(events);
        ProviderUsage? merged = null;
        string? model = null;
        foreach (var e in events)
        {
            if (e.ValueKind == JsonValueKind.Object && model is null)
            {
                model = Text(e, "model") ?? (e.TryGetProperty("message", out var m) ? Text(m, "model") : null) ?? Text(e, "modelVersion");
            }

            if (FindUsage(e).Usage.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            var next = Parse(e, format);
            merged = merged is null ? next : Merge(merged, next);
        }

        return merged is null
            ? throw new FormatException("No stream event carried usage. OpenAI-compatible streams report it only with stream_options.include_usage = true.")
            : merged with { ModelId = merged.ModelId ?? model };
    }

    /// <summary>Merges two events' usage of one stream: each count is the larger, the later tier and cost win.</summary>
    internal static ProviderUsage Merge(ProviderUsage a, ProviderUsage b)
    {
        TokenUsage x = a.Usage, y = b.Usage;
        var usage = new TokenUsage(
            Math.Max(x.UncachedInputTokens, y.UncachedInputTokens),
            Math.Max(x.CachedInputTokens, y.CachedInputTokens),
            Math.Max(x.CacheWriteTokens, y.CacheWriteTokens),
            Math.Max(x.OutputTokens, y.OutputTokens),
            Math.Max(x.ReasoningTokens, y.ReasoningTokens))
        {
            CacheWrite1hTokens = Math.Max(x.CacheWrite1hTokens, y.CacheWrite1hTokens),
            InputAudioTokens = Math.Max(x.InputAudioTokens, y.InputAudioTokens),
            InputImageTokens = Math.Max(x.InputImageTokens, y.InputImageTokens),
            CachedInputAudioTokens = Math.Max(x.CachedInputAudioTokens, y.CachedInputAudioTokens),
            OutputAudioTokens = Math.Max(x.OutputAudioTokens, y.OutputAudioTokens),
            OutputImageTokens = Math.Max(x.OutputImageTokens, y.OutputImageTokens),
            WebSearchCalls = Math.Max(x.WebSearchCalls, y.WebSearchCalls),
        };
        return new ProviderUsage(usage)
        {
            Format = b.Format,
            ServiceTier = b.ServiceTier ?? a.ServiceTier,
            ReportedCost = b.ReportedCost ?? a.ReportedCost,
            ModelId = a.ModelId ?? b.ModelId,
        };
    }

    /// <summary>Whether <paramref name="body"/> carries a usage block <see cref="Parse"/> can read (checked without throwing).</summary>
    internal static bool HasUsage(JsonElement body) => FindUsage(body).Usage.ValueKind == JsonValueKind.Object;

    private static (JsonElement Usage, JsonElement Container) FindUsage(JsonElement body)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return (default, default);
        }

        if (body.TryGetProperty("usageMetadata", out var gemini) && gemini.ValueKind == JsonValueKind.Object)
        {
            return (gemini, body);
        }

        if (body.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            return (usage, body);
        }

        foreach (var name in (ReadOnlySpan<string>)["message", "response", "data"])
        {
            if (body.TryGetProperty(name, out var inner) && inner.ValueKind == JsonValueKind.Object)
            {
                var found = FindUsage(inner);
                if (found.Usage.ValueKind == JsonValueKind.Object)
                {
                    return found;
                }
            }
        }

        // Ollama puts its counts on the response itself.
        if (body.TryGetProperty("prompt_eval_count", out _) || body.TryGetProperty("eval_count", out _))
        {
            return (body, body);
        }

        // A bare usage block.
        return IsUsageBlock(body) ? (body, default) : (default, default);
    }

    private static bool IsUsageBlock(JsonElement e)
    {
        foreach (var name in (ReadOnlySpan<string>)["prompt_tokens", "completion_tokens", "input_tokens", "output_tokens", "promptTokenCount",
            "candidatesTokenCount", "totalTokenCount", "inputTokens", "outputTokens", "total_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"])
        {
            if (e.TryGetProperty(name, out _))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Fits(JsonElement u, ProviderUsageFormat format) => format switch
    {
        ProviderUsageFormat.OpenAIChat or ProviderUsageFormat.Mistral or ProviderUsageFormat.OpenRouter =>
            Has(u, "prompt_tokens") || Has(u, "completion_tokens"),
        ProviderUsageFormat.DeepSeek => Has(u, "prompt_tokens") || Has(u, "prompt_cache_hit_tokens"),
        ProviderUsageFormat.OpenAIResponses => (Has(u, "input_tokens") || Has(u, "output_tokens")) && !Has(u, "cache_creation_input_tokens")
            && !Has(u, "cache_read_input_tokens") && !Has(u, "cache_creation"),
        ProviderUsageFormat.Anthropic => Has(u, "input_tokens") || Has(u, "output_tokens") || Has(u, "cache_read_input_tokens"),
        ProviderUsageFormat.Gemini => Has(u, "promptTokenCount") || Has(u, "candidatesTokenCount") || Has(u, "totalTokenCount"),
        ProviderUsageFormat.Bedrock => Has(u, "inputTokens") || Has(u, "outputTokens"),
        ProviderUsageFormat.Ollama => Has(u, "prompt_eval_count") || Has(u, "eval_count"),
        _ => false,
    };

    private static ProviderUsageFormat Detect(JsonElement u)
    {
        if (Has(u, "promptTokenCount") || Has(u, "candidatesTokenCount") || Has(u, "totalTokenCount"))
        {
            return ProviderUsageFormat.Gemini;
        }

        if (Has(u, "prompt_cache_hit_tokens"))
        {
            return ProviderUsageFormat.DeepSeek;
        }

        if (Has(u, "prompt_tokens") || Has(u, "completion_tokens"))
        {
            return Has(u, "cost") ? ProviderUsageFormat.OpenRouter : ProviderUsageFormat.OpenAIChat;
        }

        if (Has(u, "cache_creation_input_tokens") || Has(u, "cache_read_input_tokens") || Has(u, "cache_creation") || Has(u, "server_tool_use"))
        {
            return ProviderUsageFormat.Anthropic;
        }

        if (Has(u, "input_tokens_details") || Has(u, "output_tokens_details") || Has(u, "input_token_details") || Has(u, "total_tokens"))
        {
            return ProviderUsageFormat.OpenAIResponses;
        }

        if (Has(u, "input_tokens") || Has(u, "output_tokens"))
        {
            // Anthropic's block has neither details nor a total; with no cache fields its reading equals the responses reading.
            return ProviderUsageFormat.Anthropic;
        }

        if (Has(u, "inputTokens") || Has(u, "outputTokens"))
        {
            return ProviderUsageFormat.Bedrock;
        }

        if (Has(u, "prompt_eval_count") || Has(u, "eval_count"))
        {
            return ProviderUsageFormat.Ollama;
        }

        throw new FormatException("The usage block has no field this parser knows (prompt_tokens, input_tokens, promptTokenCount, inputTokens, prompt_eval_count).");
    }

    // OpenAI chat completions and every OpenAI-compatible API (Mistral, DeepSeek, OpenRouter, xAI, Groq, Together…):
    // prompt_tokens counts every prompt token, cached_tokens (and cache_write_tokens where reported) are parts of it;
    // completion_tokens includes reasoning_tokens — except where a provider reports reasoning beside it, which total_tokens shows.
    private static TokenUsage ChatCompletions(JsonElement u)
    {
        var prompt = N(u, "prompt_tokens");
        var completion = N(u, "completion_tokens");
        var cached = Math.Max(N(u, "prompt_tokens_details", "cached_tokens"), Math.Max(N(u, "prompt_cache_hit_tokens"), N(u, "cached_tokens")));
        var write = N(u, "prompt_tokens_details", "cache_write_tokens");
        var audioIn = N(u, "prompt_tokens_details", "audio_tokens");
        var imageIn = N(u, "prompt_tokens_details", "image_tokens");
        var reasoning = Math.Max(N(u, "completion_tokens_details", "reasoning_tokens"), N(u, "reasoning_tokens"));
        var audioOut = N(u, "completion_tokens_details", "audio_tokens");
        var imageOut = N(u, "completion_tokens_details", "image_tokens");
        if (prompt == 0 && !Has(u, "prompt_tokens") && Has(u, "prompt_cache_miss_tokens"))
        {
            prompt = N(u, "prompt_cache_miss_tokens") + cached;
        }

        var total = N(u, "total_tokens");
        var reasoningOutside = reasoning > 0 && (reasoning > completion || (total > 0 && total == prompt + completion + reasoning && total != prompt + completion));
        var output = reasoningOutside ? completion + reasoning : completion;
        return Split(prompt, cached, write, 0, audioIn, 0, imageIn, output, reasoning, audioOut, imageOut, WebSearches(u));
    }

    // OpenAI responses (and realtime): input_tokens counts every prompt token; output_tokens includes reasoning.
    private static TokenUsage Responses(JsonElement u)
    {
        var input = N(u, "input_tokens");
        var output = N(u, "output_tokens");
        var cached = Math.Max(N(u, "input_tokens_details", "cached_tokens"), N(u, "input_token_details", "cached_tokens"));
        var write = N(u, "input_tokens_details", "cache_write_tokens");
        var audioIn = Math.Max(N(u, "input_tokens_details", "audio_tokens"), N(u, "input_token_details", "audio_tokens"));
        var cachedAudio = N(u, "input_token_details", "cached_tokens_details", "audio_tokens");
        var imageIn = Math.Max(N(u, "input_tokens_details", "image_tokens"), N(u, "input_token_details", "image_tokens"));
        var cachedImage = N(u, "input_token_details", "cached_tokens_details", "image_tokens");
        var reasoning = N(u, "output_tokens_details", "reasoning_tokens");
        var audioOut = Math.Max(N(u, "output_tokens_details", "audio_tokens"), N(u, "output_token_details", "audio_tokens"));
        var imageOut = N(u, "output_tokens_details", "image_tokens");
        return Split(input, cached, write, 0, Math.Max(0, audioIn - cachedAudio), cachedAudio, Math.Max(0, imageIn - cachedImage), output, reasoning,
            audioOut, imageOut, WebSearches(u));
    }

    // Anthropic: input_tokens excludes cache reads and writes, which are reported beside it; cache_creation splits writes by TTL;
    // output_tokens includes thinking.
    private static TokenUsage Anthropic(JsonElement u)
    {
        var uncached = N(u, "input_tokens");
        var read = N(u, "cache_read_input_tokens");
        var fiveMinutes = N(u, "cache_creation", "ephemeral_5m_input_tokens");
        var oneHour = N(u, "cache_creation", "ephemeral_1h_input_tokens");
        var write = Math.Max(N(u, "cache_creation_input_tokens"), fiveMinutes + oneHour);
        var output = N(u, "output_tokens");
        var thinking = Math.Min(N(u, "output_tokens_details", "thinking_tokens"), output);
        var searches = N(u, "server_tool_use", "web_search_requests");
        return new TokenUsage(uncached, read, write, output - thinking, thinking) { CacheWrite1hTokens = Math.Min(oneHour, write), WebSearchCalls = searches };
    }

    // Gemini: promptTokenCount includes cachedContentTokenCount; thoughtsTokenCount is reported beside candidatesTokenCount;
    // toolUsePromptTokenCount is billed as input. Per-modality details give audio and image parts.
    private static TokenUsage Gemini(JsonElement u)
    {
        var prompt = N(u, "promptTokenCount") + N(u, "toolUsePromptTokenCount");
        var cached = N(u, "cachedContentTokenCount");
        var candidates = N(u, "candidatesTokenCount");
        var thoughts = N(u, "thoughtsTokenCount");
        if (prompt == 0 && candidates == 0 && N(u, "totalTokenCount") is > 0 and var total)
        {
            prompt = total;
        }

        var audioIn = Modality(u, "promptTokensDetails", "AUDIO") + Modality(u, "toolUsePromptTokensDetails", "AUDIO");
        var cachedAudio = Modality(u, "cacheTokensDetails", "AUDIO");
        var imageIn = Modality(u, "promptTokensDetails", "IMAGE") + Modality(u, "toolUsePromptTokensDetails", "IMAGE");
        var cachedImage = Modality(u, "cacheTokensDetails", "IMAGE");
        var audioOut = Modality(u, "candidatesTokensDetails", "AUDIO");
        var imageOut = Modality(u, "candidatesTokensDetails", "IMAGE");
        return Split(prompt, cached, 0, 0, Math.Max(0, audioIn - cachedAudio), cachedAudio, Math.Max(0, imageIn - cachedImage),
            candidates + thoughts, thoughts, audioOut, imageOut, 0);
    }

    // Bedrock Converse: inputTokens excludes cache reads and writes, like Anthropic's.
    private static TokenUsage Bedrock(JsonElement u) =>
        new(N(u, "inputTokens"), N(u, "cacheReadInputTokens"), N(u, "cacheWriteInputTokens"), N(u, "outputTokens"), 0);

    private static TokenUsage Ollama(JsonElement u) => new(N(u, "prompt_eval_count"), 0, 0, N(u, "eval_count"), 0);

    // Builds disjoint counts from a prompt total with cache reads and writes inside it, and an output total with reasoning inside it.
    private static TokenUsage Split(long prompt, long cached, long write, long oneHour, long audioIn, long cachedAudio, long imageIn,
        long output, long reasoning, long audioOut, long imageOut, long searches)
    {
        cached = Math.Clamp(cached, 0, prompt);
        write = Math.Clamp(write, 0, prompt - cached);
        var uncached = prompt - cached - write;
        reasoning = Math.Clamp(reasoning, 0, output);
        var visible = output - reasoning;
        return new TokenUsage(uncached, cached, write, visible, reasoning)
        {
            CacheWrite1hTokens = Math.Min(oneHour, write),
            InputAudioTokens = Math.Min(audioIn, uncached),
            CachedInputAudioTokens = Math.Min(cachedAudio, cached),
            InputImageTokens = Math.Min(imageIn, Math.Max(0, uncached - Math.Min(audioIn, uncached))),
            OutputAudioTokens = Math.Min(audioOut, visible),
            OutputImageTokens = Math.Min(imageOut, Math.Max(0, visible - Math.Min(audioOut, visible))),
            WebSearchCalls = searches,
        };
    }

    private static long WebSearches(JsonElement u) =>
        Math.Max(N(u, "server_tool_use", "web_search_requests"), N(u, "num_search_queries"));

    private static long Modality(JsonElement u, string list, string modality)
    {
        if (!u.TryGetProperty(list, out var items) || items.ValueKind != JsonValueKind.Array)
        {
            return 0;
        }

        long sum = 0;
        foreach (var item in items.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && string.Equals(Text(item, "modality"), modality, StringComparison.OrdinalIgnoreCase))
            {
                sum += N(item, "tokenCount");
            }
        }

        return sum;
    }

    private static bool Has(JsonElement e, string name) => e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    private static string? Text(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long N(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out var v))
        {
            return 0;
        }

        return v.ValueKind switch
        {
            JsonValueKind.Number when v.TryGetInt64(out var n) => Math.Max(0, n),
            JsonValueKind.Number when v.TryGetDouble(out var f) => Math.Max(0, (long)f),
            JsonValueKind.Null => 0,
            _ => throw new FormatException($"Usage field '{name}' must be a whole number of tokens, not {v.GetRawText()}."),
        };
    }

    private static long N(JsonElement e, string parent, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(parent, out var p) ? N(p, name) : 0;

    private static long N(JsonElement e, string grandparent, string parent, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(grandparent, out var g) ? N(g, parent, name) : 0;
}
