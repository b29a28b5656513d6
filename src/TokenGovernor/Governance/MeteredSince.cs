namespace TokenGovernor;

/// <summary>What the metering layer recorded into a <see cref="GovernanceContext"/> since a <see cref="GovernanceContext.MeteredMark"/>.</summary>
/// <param name="Metered">Whether at least one provider call was metered.</param>
/// <param name="Cost">The cost metered since the mark, in US dollars.</param>
/// <param name="Usage">The usage metered since the mark.</param>
/// <param name="ModelId">The last model that answered, or <see langword="null"/>.</param>
/// <param name="PricedModelId">The last catalog model priced, or <see langword="null"/>.</param>
internal readonly record struct MeteredSince(bool Metered, decimal Cost, TokenUsage Usage, string? ModelId, string? PricedModelId);
