using System.ComponentModel.DataAnnotations;

namespace TokenGovernor;

/// <summary>Options of <see cref="TokenBudgetChatReducer"/>.</summary>
public sealed class TokenBudgetChatReducerOptions
{
    /// <summary>Gets or sets the token budget of the reduced conversation (system prompt, summary and kept turns).</summary>
    /// <value>Defaults to 8,000 tokens.</value>
    [Range(64, 10_000_000)]
    public int MaxTokens { get; set; } = 8_000;

    /// <summary>Gets or sets the model whose tokenizer counts the conversation.</summary>
    /// <value>Defaults to <c>gpt-4o</c>.</value>
    [Required]
    public string ModelId { get; set; } = "gpt-4o";

    /// <summary>Gets or sets the model the summarizer client is asked to use (a cheap one), or <see langword="null"/> for its default.</summary>
    public string? SummaryModelId { get; set; }

    /// <summary>Gets or sets the tokens set aside for the summary of dropped turns, and the output cap of the summary call.</summary>
    /// <value>Defaults to 400.</value>
    [Range(16, 100_000)]
    public int SummaryMaxTokens { get; set; } = 400;

    /// <summary>Gets or sets the instruction given to the summarizer.</summary>
    [Required]
    public string SummaryInstruction { get; set; } =
        "Summarise the earlier part of this conversation for the assistant that continues it: keep decisions, facts, file names, numbers, errors seen and open questions; drop pleasantries. At most 200 words.";
}
