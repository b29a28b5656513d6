namespace TokenGovernor;

/// <summary>Thrown when a call lacks the scope a budget policy is keyed by and <see cref="BudgetOptions.UnscopedCalls"/> is
/// <see cref="UnscopedCallHandling.Refuse"/>.</summary>
public sealed class UnscopedCallException : InvalidOperationException
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="scope">The call's scope.</param>
    /// <param name="missingLevel">The level the call has no key at.</param>
    /// <param name="policy">The policy keyed by that level.</param>
    public UnscopedCallException(GovernanceScope scope, ScopeLevel missingLevel, BudgetPolicy policy)
        : base(BuildMessage(scope, missingLevel, policy))
    {
        Scope = scope;
        MissingLevel = missingLevel;
        Policy = policy;
    }

    /// <summary>Gets the scope of the refused call.</summary>
    public GovernanceScope Scope { get; }

    /// <summary>Gets the scope level the call has no key at.</summary>
    public ScopeLevel MissingLevel { get; }

    /// <summary>Gets the budget policy keyed by <see cref="MissingLevel"/>.</summary>
    public BudgetPolicy Policy { get; }

    private static string BuildMessage(GovernanceScope scope, ScopeLevel level, BudgetPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(policy);
        var property = level switch
        {
            ScopeLevel.Tenant => GovernanceScope.TenantKey,
            ScopeLevel.Feature => GovernanceScope.FeatureKey,
            ScopeLevel.Session => GovernanceScope.SessionKey,
            _ => GovernanceScope.RunKey,
        };
        return $"The call has no {level} scope, which budget policy '{policy.Name}' needs (scope {scope}). Give the call a {level.ToString().ToLowerInvariant()} " +
            $"(GovernanceScope.Begin({level.ToString().ToLowerInvariant()}: ...) or ChatOptions.AdditionalProperties[\"{property}\"]), or set " +
            "BudgetOptions.UnscopedCalls (configuration key TokenGovernor:Budgets:UnscopedCalls) to Allow or AssignDefault.";
    }
}
