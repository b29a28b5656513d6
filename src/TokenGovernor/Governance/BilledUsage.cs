namespace TokenGovernor;

/// <summary>
/// The usage and cost a call was billed, as one immutable value. A <see cref="GovernanceContext"/> keeps one as its snapshot of
/// everything metered so far (with the calls counted and the last models that answered and were priced), and the
/// <see cref="GovernanceRecord"/> built from that context shares the same instance instead of copying it: one allocation per
/// metered call for both.
/// </summary>
/// <param name="Usage">The billed token usage.</param>
/// <param name="Cost">The cost of that usage.</param>
/// <remarks>Equality is by <paramref name="Usage"/> and <paramref name="Cost"/> only: the snapshot's bookkeeping is not part of the bill.</remarks>
internal sealed record BilledUsage(TokenUsage Usage, CostBreakdown Cost)
{
    /// <summary>Gets the shared instance of no usage and no cost (a context before its first metered call).</summary>
    public static BilledUsage Zero { get; } = new(default, default);

    /// <summary>Gets the provider calls metered into this snapshot.</summary>
    public int Calls { get; init; }

    /// <summary>Gets the running cost total once more than one call was metered (up to the first call the total is that call's,
    /// summed from its components only when a layer reads it; see <see cref="CostTotal"/>).</summary>
    public decimal RunningTotal { get; init; }

    /// <summary>Gets the total cost of every call in the snapshot.</summary>
    public decimal CostTotal => Calls > 1 ? RunningTotal : Cost.Total;

    /// <summary>Gets the last model that answered, or <see langword="null"/>.</summary>
    public string? ModelId { get; init; }

    /// <summary>Gets the last catalog model priced, or <see langword="null"/>.</summary>
    public string? PricedModelId { get; init; }

    /// <summary>Gets a value indicating whether any call's usage was estimated.</summary>
    public bool Estimated { get; init; }

    /// <inheritdoc />
    public bool Equals(BilledUsage? other) => other is not null && Usage == other.Usage && Cost == other.Cost;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Usage, Cost);
}
