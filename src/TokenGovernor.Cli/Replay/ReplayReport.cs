namespace TokenGovernor.Cli;

/// <summary>What a governor configuration would have done to recorded traffic (<see cref="TrafficReplayer"/>), beside what the recording shows.</summary>
internal sealed record ReplayReport
{
    /// <summary>Gets how many calls were replayed.</summary>
    public int Calls { get; init; }

    /// <summary>Gets the recording's totals (its usage priced with the configuration's catalog).</summary>
    public required ReplayTotals Recorded { get; init; }

    /// <summary>Gets the totals under the replayed configuration.</summary>
    public required ReplayTotals Replayed { get; init; }

    /// <summary>Gets the saving against the recording (recorded cost minus replayed cost; negative when the configuration costs more).</summary>
    public decimal Savings => Recorded.Cost - Replayed.Cost;

    /// <summary>Gets the recorded cost of calls the replayed cache answered, minus their replayed cost (zero).</summary>
    public decimal CacheSavings { get; init; }

    /// <summary>Gets the recorded cost of calls the replayed configuration routed to another model, minus their replayed cost.</summary>
    public decimal RoutingSavings { get; init; }

    /// <summary>Gets the recorded cost of calls the replayed configuration refused, minus their replayed cost.</summary>
    public decimal RefusalSavings { get; init; }

    /// <summary>Gets what budget degradations saved (the ladder's cheaper-model step, capped output, reasoning off).</summary>
    public decimal DegradationSavings { get; init; }

    /// <summary>Gets the rest of the difference (calls no mechanism changed, whose usage was estimated differently), so the parts
    /// add up to <see cref="Savings"/>.</summary>
    public decimal OtherSavings { get; init; }

    /// <summary>Gets how many replayed calls routing sent to each tier.</summary>
    public IReadOnlyDictionary<string, int> TierMix { get; init; } = new Dictionary<string, int>();

    /// <summary>Gets how often each degradation step applied in the replay.</summary>
    public required IReadOnlyDictionary<string, int> Degradations { get; init; }

    /// <summary>Gets the recorded and replayed cost per feature (the scope's feature, or <c>(none)</c>).</summary>
    public required IReadOnlyList<ReplayFeatureRow> ByFeature { get; init; }
}
