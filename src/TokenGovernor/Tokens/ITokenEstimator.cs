using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>Counts the tokens a model will bill for text and for a chat request, before the request is sent.</summary>
/// <remarks>Implementations must be thread-safe: one instance serves every call of the process.</remarks>
public interface ITokenEstimator
{
    /// <summary>Describes the tokenizer used for <paramref name="modelId"/> and how exact its counts are.</summary>
    /// <param name="modelId">The model id, or <see langword="null"/> for the default tokenizer.</param>
    /// <returns>The tokenizer's description.</returns>
    TokenizerInfo GetTokenizerInfo(string? modelId);

    /// <summary>Counts the tokens of plain text, as the model's tokenizer encodes it with no chat formatting.</summary>
    /// <param name="text">The text.</param>
    /// <param name="modelId">The model id, or <see langword="null"/> for the default tokenizer.</param>
    /// <returns>The number of tokens.</returns>
    int CountTokens(string text, string? modelId);

    /// <summary>Counts the prompt tokens of a chat request: every message with its chat-format overhead, the instructions,
    /// the tool schemas and the reply priming.</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options (instructions and tools are counted), or <see langword="null"/>.</param>
    /// <param name="modelId">The model id, or <see langword="null"/> for the default tokenizer.</param>
    /// <returns>The number of prompt tokens the provider will report as input.</returns>
    int CountPromptTokens(IEnumerable<ChatMessage> messages, ChatOptions? options, string? modelId);
}
