namespace TokenGovernor;

/// <summary>The keys of one tier under <c>TokenGovernor:Routing:Tiers:N</c>, as <see cref="ConfiguredRoutingTiers"/> reads them. Only
/// its shape is used: the unknown-key check reflects over it.</summary>
internal sealed class ConfiguredTierKeys
{
    public string? Name { get; set; }

    public IList<string> Models { get; } = [];

    public bool IsReasoning { get; set; }
}
