using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// One recorded call, one line of a traffic log (JSON lines, see <see cref="TrafficLog"/>): when, for whom, which model was
/// asked, what was sent (messages, or only a token count), and what the provider reported.
/// </summary>
internal sealed record TrafficLogEntry
{
    /// <summary>Gets when the call was made.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>Gets the governance scope of the call (tenant, feature, session, run).</summary>
    public GovernanceScope Scope { get; init; } = GovernanceScope.Empty;

    /// <summary>Gets the model the application asked for.</summary>
    public string? ModelId { get; init; }

    /// <summary>Gets the messages sent (text only), or <see langword="null"/> when only <see cref="InputTokens"/> was recorded.</summary>
    public IReadOnlyList<ChatMessage>? Messages { get; init; }

    /// <summary>Gets the prompt size in tokens when the messages were not recorded.</summary>
    public int? InputTokens { get; init; }

    /// <summary>Gets the output cap the application set.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>Gets the model that answered.</summary>
    public string? AnsweredModelId { get; init; }

    /// <summary>Gets the usage the provider reported (all provider calls of the request), or <see langword="null"/> when the
    /// provider was not called (a cache hit or a refusal).</summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>Gets the answer's text, if recorded (a replayed cache stores and serves it).</summary>
    public string? ResponseText { get; init; }

    /// <summary>Gets how the response cache answered the recorded call.</summary>
    public CacheStatus Cache { get; init; }

    /// <summary>Gets why the recorded call was refused, if it was.</summary>
    public string? Refusal { get; init; }
}
