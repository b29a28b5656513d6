namespace TokenGovernor;

/// <summary>What <see cref="ISpendStore.QueryAsync"/> sums: a grouping and a time range of call start times.</summary>
public sealed record SpendQuery
{
    /// <summary>Gets the columns to group by.</summary>
    /// <value>Defaults to <see cref="SpendGrouping.None"/> (one total).</value>
    public SpendGrouping GroupBy { get; init; }

    /// <summary>Gets the first instant included, or <see langword="null"/> for the beginning.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Gets the first instant excluded, or <see langword="null"/> for the end.</summary>
    public DateTimeOffset? To { get; init; }
}
