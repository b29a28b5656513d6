namespace TokenGovernor;

/// <summary>
/// What the metering layer recorded into a <see cref="GovernanceContext"/> since a <see cref="GovernanceContext.MeteredMark"/>:
/// the two snapshots, with the differences taken only when a layer reads them (metering itself never does).
/// </summary>
internal readonly struct MeteredSince
{
    private readonly BilledUsage? _now;
    private readonly BilledUsage? _then;

    public MeteredSince(BilledUsage now, BilledUsage then)
    {
        _now = now;
        _then = then;
    }

    /// <summary>Gets a value indicating whether at least one provider call was metered.</summary>
    public bool Metered => Now.Calls != Then.Calls;

    /// <summary>Gets the cost metered since the mark, in US dollars.</summary>
    /// <remarks>Nothing metered since the mark, or everything (a mark taken before the first call): no subtraction.</remarks>
    public decimal Cost => !Metered ? 0m : Then.Calls == 0 ? Now.CostTotal : Now.CostTotal - Then.CostTotal;

    /// <summary>Gets the usage metered since the mark.</summary>
    public TokenUsage Usage => !Metered ? default : Then.Calls == 0 ? Now.Usage : Now.Usage - Then.Usage;

    /// <summary>Gets the last model that answered, or <see langword="null"/>.</summary>
    public string? ModelId => Now.ModelId;

    /// <summary>Gets the last catalog model priced, or <see langword="null"/>.</summary>
    public string? PricedModelId => Now.PricedModelId;

    private BilledUsage Now => _now ?? BilledUsage.Zero;

    private BilledUsage Then => _then ?? BilledUsage.Zero;
}
