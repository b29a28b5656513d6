namespace TokenGovernor;

/// <summary>The shape of a usage block as a provider's API returns it, read by <see cref="ProviderUsageParser"/>.</summary>
public enum ProviderUsageFormat
{
    /// <summary>Work the format out from the block's field names.</summary>
    Auto = 0,

    /// <summary>OpenAI chat completions (<c>prompt_tokens</c>, <c>prompt_tokens_details</c>, <c>completion_tokens_details</c>);
    /// also Azure OpenAI, Groq, Together, Fireworks, Cerebras, xAI and every OpenAI-compatible endpoint.</summary>
    OpenAIChat,

    /// <summary>OpenAI responses (<c>input_tokens</c>, <c>input_tokens_details</c>, <c>output_tokens_details</c>), and the realtime
    /// API's <c>input_token_details</c>.</summary>
    OpenAIResponses,

    /// <summary>Anthropic messages (<c>input_tokens</c> without cache reads and writes, <c>cache_creation</c> by TTL,
    /// <c>server_tool_use</c>, <c>service_tier</c>).</summary>
    Anthropic,

    /// <summary>Gemini and Vertex AI <c>usageMetadata</c> (<c>cachedContentTokenCount</c>, <c>thoughtsTokenCount</c>, per-modality details).</summary>
    Gemini,

    /// <summary>Mistral (chat-completions shape).</summary>
    Mistral,

    /// <summary>DeepSeek (<c>prompt_cache_hit_tokens</c>, <c>prompt_cache_miss_tokens</c>).</summary>
    DeepSeek,

    /// <summary>OpenRouter (chat-completions shape plus the <c>cost</c> it charged).</summary>
    OpenRouter,

    /// <summary>Amazon Bedrock Converse (<c>inputTokens</c>, <c>cacheReadInputTokens</c>, <c>cacheWriteInputTokens</c>).</summary>
    Bedrock,

    /// <summary>Ollama (<c>prompt_eval_count</c>, <c>eval_count</c>).</summary>
    Ollama,
}
