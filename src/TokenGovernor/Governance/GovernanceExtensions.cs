using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>Reads the <see cref="GovernanceRecord"/> that TokenGovernor's decorators attach to responses.</summary>
public static class GovernanceExtensions
{
    /// <summary>Gets what governance did for the call that produced <paramref name="response"/>.</summary>
    /// <param name="response">The response.</param>
    /// <returns>The record, or <see langword="null"/> when no governance layer handled the call.</returns>
    public static GovernanceRecord? GetGovernance(this ChatResponse response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return response.AdditionalProperties?.TryGetValue(GovernanceRecord.AdditionalPropertiesKey, out var value) == true
            ? value as GovernanceRecord
            : null;
    }

    /// <summary>Gets the governance record carried by a streaming update (the final update of a governed stream carries it).</summary>
    /// <param name="update">The update.</param>
    /// <returns>The record, or <see langword="null"/> when this update carries none.</returns>
    public static GovernanceRecord? GetGovernance(this ChatResponseUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return update.AdditionalProperties?.TryGetValue(GovernanceRecord.AdditionalPropertiesKey, out var value) == true
            ? value as GovernanceRecord
            : null;
    }

    internal static void SetGovernance(this ChatResponse response, GovernanceRecord record) =>
        (response.AdditionalProperties ??= [])[GovernanceRecord.AdditionalPropertiesKey] = record;

    internal static ChatResponseUpdate CreateGovernanceUpdate(GovernanceRecord record, string? responseId, string? modelId) => new()
    {
        Role = ChatRole.Assistant,
        ResponseId = responseId,
        ModelId = modelId,
        AdditionalProperties = new() { [GovernanceRecord.AdditionalPropertiesKey] = record },
    };
}
