using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// What the response cache may look up and store, apart from how it stores it (compare M.E.AI's <c>CachingChatClient</c>,
/// which owns the policy while <c>DistributedCachingChatClient</c> owns the store).
/// </summary>
internal sealed class ResponseCachePolicy(float maxTemperature)
{
    /// <summary>Whether a call skips the cache entirely (no lookup, no store): server-side conversation state, a temperature
    /// meant to vary the answer, or <see cref="ResponseCacheOptions.BypassKey"/>.</summary>
    public bool Bypass(ChatOptions? options) =>
        options is not null &&
        (options.ConversationId is not null ||
         options.Temperature > maxTemperature ||
         (options.AdditionalProperties?.TryGetValue(ResponseCacheOptions.BypassKey, out var bypass) == true && bypass is true or "true" or "True"));

    /// <summary>The index of the question the semantic cache compares: the last message, when it is a user turn; else -1.</summary>
    public static int Question(IList<ChatMessage> messages)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == ChatRole.User)
            {
                return i == messages.Count - 1 ? i : -1; // the question must be the last message
            }
        }

        return -1;
    }

    /// <summary>Whether an answer may be stored: never a refusal's fallback reply (budget exhausted, cache-only: storing it would
    /// keep serving it after the budget resets), nor what <see cref="CachedResponses.IsStorable"/> rejects.</summary>
    public static bool MayStore(GovernanceContext? context, ChatResponse response) =>
        context?.Refusal is null && CachedResponses.IsStorable(response);
}
