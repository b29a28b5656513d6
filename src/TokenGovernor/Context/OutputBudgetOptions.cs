using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>Options of <see cref="OutputBudgetChatClient"/> (TALE-style token-budget-aware prompting, arXiv 2412.18547).</summary>
public sealed class OutputBudgetOptions
{
    /// <summary>Gets the answer budget in tokens per feature (<see cref="GovernanceScope.Feature"/>); features not listed use
    /// <see cref="DefaultBudget"/>.</summary>
    public IDictionary<string, int> FeatureBudgets { get; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>Gets or sets the budget for requests whose prompt is short (at most <see cref="ShortPromptTokens"/>): a short
    /// question rarely needs a long answer.</summary>
    /// <value>Defaults to 150 tokens.</value>
    [Range(1, 1_000_000)]
    public int ShortPromptBudget { get; set; } = 150;

    /// <summary>Gets or sets the prompt size up to which <see cref="ShortPromptBudget"/> applies.</summary>
    /// <value>Defaults to 60 tokens.</value>
    [Range(0, 1_000_000)]
    public int ShortPromptTokens { get; set; } = 60;

    /// <summary>Gets or sets the budget for every other request.</summary>
    /// <value>Defaults to 400 tokens.</value>
    [Range(1, 1_000_000)]
    public int DefaultBudget { get; set; } = 400;

    /// <summary>Gets or sets a custom budget estimate (for example from a complexity score); when it returns a value, the table is not used.</summary>
    public Func<IList<ChatMessage>, ChatOptions?, int?>? Estimate { get; set; }

    /// <summary>Gets or sets how much room <c>MaxOutputTokens</c> leaves above the stated budget (the model may overrun a little; a hard cut mid-answer is worse).</summary>
    /// <value>Defaults to 1.5.</value>
    [Range(1.0, 10.0)]
    public double Headroom { get; set; } = 1.5;

    /// <summary>Gets or sets the instruction added to the request; <c>{0}</c> is the budget.</summary>
    [Required]
    public string Instruction { get; set; } = "Let's think briefly and answer within {0} tokens.";

    /// <summary>Gets or sets a value indicating whether requests that offer tools get a budget too (agent steps mostly answer with short tool calls).</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool ApplyWhenToolsOffered { get; set; }

    internal OutputBudgetOptions Clone()
    {
        var clone = new OutputBudgetOptions
        {
            ShortPromptBudget = ShortPromptBudget,
            ShortPromptTokens = ShortPromptTokens,
            DefaultBudget = DefaultBudget,
            Estimate = Estimate,
            Headroom = Headroom,
            Instruction = Instruction,
            ApplyWhenToolsOffered = ApplyWhenToolsOffered,
        };
        foreach (var kv in FeatureBudgets)
        {
            clone.FeatureBudgets[kv.Key] = kv.Value;
        }

        return clone;
    }
}
