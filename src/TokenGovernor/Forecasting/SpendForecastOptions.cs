namespace TokenGovernor;

/// <summary>Options for <see cref="SpendForecaster"/>.</summary>
internal sealed class SpendForecastOptions
{
    /// <summary>Gets or sets how many of the latest days the run-rate averages (days without spend count as zero).</summary>
    public int RunRateDays { get; set; } = 28;

    /// <summary>Gets the horizons, in months.</summary>
    public IList<int> Horizons { get; } = [3, 6, 12];

    /// <summary>Gets the scenarios: by default conservative 1.3×, expected 1.8–2.2×, aggressive 2.5–3× over twelve months.</summary>
    public IList<GrowthScenario> Scenarios { get; } =
    [
        new("conservative", 1.3, 1.3),
        new("expected", 1.8, 2.2),
        new("aggressive", 2.5, 3.0),
    ];
}
