namespace TokenGovernor;

/// <summary>What <see cref="BudgetChatClient"/> does with a call that lacks the scope a budget policy is keyed by (for example a
/// call with no tenant when a policy gives each tenant its own budget).</summary>
public enum UnscopedCallHandling
{
    /// <summary>Send the call; it is counted against no budget at the missing level (global and other levels still apply).</summary>
    Allow = 0,

    /// <summary>Refuse the call with <see cref="UnscopedCallException"/> (or <see cref="BudgetOptions.FallbackResponse"/> when set),
    /// before anything is reserved or sent.</summary>
    Refuse = 1,

    /// <summary>Count the call against <see cref="BudgetOptions.DefaultScopeKey"/> at every missing level (for example a default
    /// tenant), and note <c>scope-defaulted:&lt;level&gt;</c> in the record's degradations.</summary>
    AssignDefault = 2,
}
