namespace TokenGovernor;

/// <summary>Projected spend over the next months under one scenario.</summary>
/// <param name="Scenario">The scenario's name.</param>
/// <param name="Months">The horizon in months.</param>
/// <param name="Low">Total USD over the horizon at the scenario's low multiplier.</param>
/// <param name="High">Total USD over the horizon at the scenario's high multiplier.</param>
internal sealed record ScenarioProjection(string Scenario, int Months, decimal Low, decimal High);
