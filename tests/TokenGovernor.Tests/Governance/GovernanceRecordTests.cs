namespace TokenGovernor.Tests.Governance;

/// <summary>Value semantics of <see cref="GovernanceRecord"/>, whose fields that only some layers fill are stored apart.</summary>
public class GovernanceRecordTests
{
    [Fact]
    public void Equals_SameValuesSetDifferently_Equal()
    {
        var built = new GovernanceRecord { ModelId = "gpt-4o", BudgetReserved = 0.5m, Degradations = [] };
        var copied = new GovernanceRecord { ModelId = "gpt-4o" } with { BudgetReserved = 0.5m };
        var cleared = built with { BudgetReserved = null };

        Assert.Equal(built, copied);
        Assert.Equal(built.GetHashCode(), copied.GetHashCode());
        Assert.Equal(new GovernanceRecord { ModelId = "gpt-4o" }, cleared);
        Assert.NotEqual(built, cleared);
    }

    [Fact]
    public void With_ColdField_LeavesTheOriginalUnchanged()
    {
        var original = new GovernanceRecord { Refusal = "budget-exhausted", RunStep = 3, CostAvoided = 0.2m };
        var changed = original with { RunStep = 4 };

        Assert.Equal(3, original.RunStep);
        Assert.Equal(4, changed.RunStep);
        Assert.Equal("budget-exhausted", changed.Refusal);
        Assert.Equal(0.2m, changed.CostAvoided);
        Assert.Empty(changed.ShadowActions);
        Assert.Empty(changed.MissingScopes);
    }

    [Fact]
    public void ToString_PrintsColdFields()
    {
        var text = new GovernanceRecord { Refusal = "cache-only", BudgetSettled = 0.01m }.ToString();

        Assert.Contains("Refusal = cache-only", text, StringComparison.Ordinal);
        Assert.Contains("BudgetSettled = 0.01", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Details", text, StringComparison.Ordinal);
    }
}
