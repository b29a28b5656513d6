namespace TokenGovernor;

/// <summary>A growth scenario: spend multiplies by between <paramref name="Low"/> and <paramref name="High"/> over twelve
/// months (compounded monthly), as agent adoption, reasoning modes and context growth push usage up.</summary>
/// <param name="Name">The scenario's name.</param>
/// <param name="Low">The low end of the 12-month multiplier.</param>
/// <param name="High">The high end of the 12-month multiplier (equal to <paramref name="Low"/> for a point estimate).</param>
internal sealed record GrowthScenario(string Name, double Low, double High);
