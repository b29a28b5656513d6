namespace TokenGovernor.Tests.Scopes;

public class GovernanceScopeTests
{
    [Fact]
    public void Begin_Nested_InheritsUnsetLevelsAndRestoresOnDispose()
    {
        using (GovernanceScope.Begin(tenant: "acme", feature: "support"))
        {
            using (GovernanceScope.Begin(session: "s1"))
            {
                Assert.Equal("acme", GovernanceScope.Current.Tenant);
                Assert.Equal("support", GovernanceScope.Current.Feature);
                Assert.Equal("s1", GovernanceScope.Current.Session);
            }

            Assert.Null(GovernanceScope.Current.Session);
            Assert.Equal("acme", GovernanceScope.Current.Tenant);
        }

        Assert.Same(GovernanceScope.Empty, GovernanceScope.Current);
    }

    [Fact]
    public async Task Begin_AcrossAwait_FlowsToContinuation()
    {
        using var _ = GovernanceScope.Begin(tenant: "acme");
        await Task.Yield();
        Assert.Equal("acme", GovernanceScope.Current.Tenant);
    }

    [Fact]
    public async Task Begin_ParallelTasks_DoNotSeeEachOthersScopes()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 64).Select(async i =>
        {
            await Task.Yield();
            using var _ = GovernanceScope.Begin(tenant: $"t{i}", run: $"r{i}");
            await Task.Delay(1);
            return GovernanceScope.Current.Tenant == $"t{i}" && GovernanceScope.Current.Run == $"r{i}";
        }));

        Assert.All(results, Assert.True);
    }

    [Fact]
    public void Begin_Tags_MergeWithInnerWinning()
    {
        using var outer = GovernanceScope.Begin(tags: new Dictionary<string, string> { ["env"] = "prod", ["team"] = "a" });
        using var inner = GovernanceScope.Begin(tags: new Dictionary<string, string> { ["team"] = "b" });

        Assert.Equal("prod", GovernanceScope.Current.Tags["env"]);
        Assert.Equal("b", GovernanceScope.Current.Tags["team"]);
    }

    [Fact]
    public void Resolve_OptionsProperties_OverrideAmbientLevelByLevel()
    {
        using var _ = GovernanceScope.Begin(tenant: "acme", feature: "support");
        var options = new ChatOptions { AdditionalProperties = new() { [GovernanceScope.SessionKey] = "s9", [GovernanceScope.FeatureKey] = "search" } };

        var scope = GovernanceScope.Resolve(options);

        Assert.Equal("acme", scope.Tenant);
        Assert.Equal("search", scope.Feature);
        Assert.Equal("s9", scope.Session);
    }

    [Fact]
    public void Get_EachLevel_ReturnsItsValue()
    {
        var scope = new GovernanceScope { Tenant = "t", Feature = "f", Session = "s", Run = "r" };
        Assert.Equal(["t", "f", "s", "r"], Enum.GetValues<ScopeLevel>().Select(scope.Get));
    }
}
