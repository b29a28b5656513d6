namespace TokenGovernor;

/// <summary>What a chat request will cost at most, computed before it is sent.</summary>
/// <remarks>The prompt is priced at the uncached input rate (the provider's prompt cache can only lower it) and the output at
/// the higher of the output and reasoning rates for the full output cap, so <see cref="MaxCost"/> is a true upper bound
/// whenever the provider honours the cap and the token count is exact (<see cref="PromptTokensExact"/>).</remarks>
public sealed record CostEstimate
{
    /// <summary>Gets the model the estimate was made for, as requested.</summary>
    public required string ModelId { get; init; }

    /// <summary>Gets the catalog model whose price was used.</summary>
    public required string PricedModelId { get; init; }

    /// <summary>Gets the tokenizer used and the expected error of its count.</summary>
    public required TokenizerInfo Tokenizer { get; init; }

    /// <summary>Gets the number of prompt tokens (messages, instructions, tools and chat overhead).</summary>
    public required int PromptTokens { get; init; }

    /// <summary>Gets the output upper bound: <c>ChatOptions.MaxOutputTokens</c>, else the model's maximum output, else the configured default.</summary>
    public required int MaxOutputTokens { get; init; }

    /// <summary>Gets the cost of the prompt in US dollars.</summary>
    public required decimal PromptCost { get; init; }

    /// <summary>Gets the cost of <see cref="MaxOutputTokens"/> output tokens in US dollars.</summary>
    public required decimal MaxOutputCost { get; init; }

    /// <summary>Gets the worst-case cost of the call in US dollars.</summary>
    public decimal MaxCost => PromptCost + MaxOutputCost;

    /// <summary>Gets a value indicating whether <see cref="PromptTokens"/> comes from the model's own tokenizer.</summary>
    public bool PromptTokensExact => Tokenizer.IsExact;
}
