namespace TokenGovernor;

/// <summary>The cost of one call in US dollars, split by the kind of token billed.</summary>
/// <param name="Input">Uncached input tokens.</param>
/// <param name="CachedInput">Input tokens read from the provider's prompt cache.</param>
/// <param name="CacheWrite">Input tokens written to the provider's prompt cache.</param>
/// <param name="Output">Output tokens other than reasoning tokens.</param>
/// <param name="Reasoning">Reasoning (thinking) tokens.</param>
public readonly record struct CostBreakdown(decimal Input, decimal CachedInput, decimal CacheWrite, decimal Output, decimal Reasoning)
{
    /// <summary>Gets a breakdown of zero dollars.</summary>
    public static CostBreakdown Zero => default;

    /// <summary>Gets the total cost in US dollars.</summary>
    public decimal Total => Input + CachedInput + CacheWrite + Output + Reasoning;

    /// <summary>Gets the input-side cost (uncached, cached and cache-write input).</summary>
    public decimal TotalInput => Input + CachedInput + CacheWrite;

    /// <summary>Gets the output-side cost (output and reasoning).</summary>
    public decimal TotalOutput => Output + Reasoning;

    /// <summary>Adds two breakdowns component by component.</summary>
    /// <param name="left">The first breakdown.</param>
    /// <param name="right">The second breakdown.</param>
    /// <returns>The sum.</returns>
    public static CostBreakdown operator +(CostBreakdown left, CostBreakdown right) => new(
        left.Input + right.Input,
        left.CachedInput + right.CachedInput,
        left.CacheWrite + right.CacheWrite,
        left.Output + right.Output,
        left.Reasoning + right.Reasoning);

    /// <summary>Adds two breakdowns component by component.</summary>
    /// <param name="left">The first breakdown.</param>
    /// <param name="right">The second breakdown.</param>
    /// <returns>The sum.</returns>
    public static CostBreakdown Add(CostBreakdown left, CostBreakdown right) => left + right;
}
