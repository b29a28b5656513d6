namespace TokenGovernor.Cli;

/// <summary>Totals of a recording or of a replay.</summary>
/// <param name="Cost">Total cost in USD.</param>
/// <param name="ProviderCalls">Calls that reached the provider.</param>
/// <param name="CacheHits">Calls answered from the response cache.</param>
/// <param name="Refusals">Calls refused (budgets, cache-only, loop guard).</param>
/// <param name="Usage">Total provider token usage.</param>
internal sealed record ReplayTotals(decimal Cost, int ProviderCalls, int CacheHits, int Refusals, TokenUsage Usage);
