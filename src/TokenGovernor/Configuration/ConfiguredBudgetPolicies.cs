namespace TokenGovernor;

/// <summary>The budget policies from configuration and code, validated once; shared by whichever ledger is registered.</summary>
internal sealed class ConfiguredBudgetPolicies(IReadOnlyList<BudgetPolicy> policies)
{
    public IReadOnlyList<BudgetPolicy> Policies { get; } = policies;
}
