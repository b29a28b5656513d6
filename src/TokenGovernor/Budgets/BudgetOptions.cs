using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>Options of <see cref="BudgetChatClient"/>.</summary>
public sealed class BudgetOptions
{
    /// <summary>Gets the degradation ladder, applied in ascending threshold order.</summary>
    /// <value>Defaults to <see cref="BudgetDegradationSteps.CreateDefault"/>. Clear it to only enforce hard limits.</value>
    public IList<BudgetDegradationStep> Ladder { get; } = BudgetDegradationSteps.CreateDefault();

    /// <summary>Gets or sets the fewest output tokens worth sending a call for: when a strict budget cannot afford the requested
    /// output cap, the cap is lowered to what it can afford if that is at least this many tokens; otherwise the call is refused.</summary>
    /// <value>Defaults to 256.</value>
    [Range(1, 1_000_000)]
    public int MinimumUsefulOutputTokens { get; set; } = 256;

    /// <summary>Gets or sets the response returned instead of throwing <see cref="BudgetExceededException"/> when a call is refused.</summary>
    /// <value>Defaults to <see langword="null"/> (throw).</value>
    public ChatResponse? FallbackResponse { get; set; }

    /// <summary>Gets or sets the output cap assumed when neither the request nor the catalog gives one.</summary>
    /// <value>Defaults to 4,096.</value>
    [Range(1, 10_000_000)]
    public int DefaultMaxOutputTokens { get; set; } = 4096;

    /// <summary>
    /// Gets or sets a value indicating whether this layer runs in shadow mode: it decides as usual and records what it would
    /// have done in <see cref="GovernanceRecord.ShadowActions"/>, but does not act (the call goes through unchanged). Use it to
    /// see a configuration's effect on live traffic before turning it on.
    /// </summary>
    public bool Shadow { get; set; }

    /// <summary>Gets or sets what a call gets when it lacks the scope a budget policy is keyed by (a call with no tenant under a
    /// per-tenant policy): sent and counted against no budget at that level, refused, or counted against
    /// <see cref="DefaultScopeKey"/>.</summary>
    /// <value>Defaults to <see cref="UnscopedCallHandling.Allow"/>. Configuration key: <c>TokenGovernor:Budgets:UnscopedCalls</c>.</value>
    [EnumDataType(typeof(UnscopedCallHandling))]
    public UnscopedCallHandling UnscopedCalls { get; set; } = UnscopedCallHandling.Allow;

    /// <summary>Gets or sets the key an unscoped call is given at every missing level under <see cref="UnscopedCallHandling.AssignDefault"/>
    /// (for example a default tenant).</summary>
    /// <value>Defaults to <c>default</c>. Configuration key: <c>TokenGovernor:Budgets:DefaultScopeKey</c>.</value>
    [Required]
    public string DefaultScopeKey { get; set; } = "default";

    internal BudgetOptions Clone()
    {
        var clone = new BudgetOptions
        {
            MinimumUsefulOutputTokens = MinimumUsefulOutputTokens,
            FallbackResponse = FallbackResponse,
            DefaultMaxOutputTokens = DefaultMaxOutputTokens,
            Shadow = Shadow,
            UnscopedCalls = UnscopedCalls,
            DefaultScopeKey = DefaultScopeKey,
        };
        clone.Ladder.Clear();
        foreach (var step in Ladder.OrderBy(s => s.Threshold))
        {
            clone.Ladder.Add(step);
        }

        return clone;
    }
}
