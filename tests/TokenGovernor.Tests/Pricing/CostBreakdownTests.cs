namespace TokenGovernor.Tests.Pricing;

/// <summary>Value semantics of <see cref="CostBreakdown"/>, whose rarely set components are stored apart from the first five.</summary>
public class CostBreakdownTests
{
    [Fact]
    public void Equals_ExtraComponentsSetToZero_EqualsBreakdownWithoutThem()
    {
        var plain = new CostBreakdown(1m, 2m, 3m, 4m, 5m);
        var zeroed = plain with { WebSearch = 7m } with { WebSearch = 0m };

        Assert.Equal(plain, zeroed);
        Assert.True(plain == zeroed);
        Assert.Equal(plain.GetHashCode(), zeroed.GetHashCode());
    }

    [Fact]
    public void Equals_DifferentExtraComponent_NotEqual()
    {
        var plain = new CostBreakdown(1m, 2m, 3m, 4m, 5m);

        Assert.NotEqual(plain, plain with { CacheWrite1h = 0.1m });
        Assert.NotEqual(plain, plain with { ServiceTier = "flex" });
        Assert.NotEqual(plain, plain with { LongContextThresholdTokens = 200_000 });
        Assert.NotEqual(plain with { ServiceTier = "flex" }, plain with { ServiceTier = "FLEX" });
    }

    [Fact]
    public void With_ChainedInits_KeepsEveryComponentAndLeavesTheOriginalUnchanged()
    {
        var first = new CostBreakdown(1m, 0m, 0m, 2m, 0m) { InputAudio = 0.5m, Requests = 0.25m, ServiceTier = "priority" };
        var second = first with { OutputImage = 3m };

        Assert.Equal(0m, first.OutputImage);
        Assert.Equal(3m, second.OutputImage);
        Assert.Equal(0.5m, second.InputAudio);
        Assert.Equal(0.25m, second.Requests);
        Assert.Equal("priority", second.ServiceTier);
        Assert.Equal(6.75m, second.Total);
        Assert.Equal(1.5m, second.TotalInput);
        Assert.Equal(5m, second.TotalOutput);
    }

    [Fact]
    public void Add_WithAndWithoutExtras_SumsEveryComponentAndKeepsAgreeingTier()
    {
        var plain = new CostBreakdown(1m, 1m, 1m, 1m, 1m);
        var extra = new CostBreakdown(1m, 0m, 0m, 0m, 0m) { WebSearch = 0.01m, ServiceTier = "flex", LongContextThresholdTokens = 128_000 };

        var mixed = plain + extra;
        var both = extra + extra;

        Assert.Equal(2m, mixed.Input);
        Assert.Equal(0.01m, mixed.WebSearch);
        Assert.Null(mixed.ServiceTier);
        Assert.Null(mixed.LongContextThresholdTokens);
        Assert.Equal(5.01m + 1m, mixed.Total);
        Assert.Equal("flex", both.ServiceTier);
        Assert.Equal(128_000, both.LongContextThresholdTokens);
        Assert.Equal(0.02m, both.WebSearch);
        Assert.Equal(new CostBreakdown(2m, 2m, 2m, 2m, 2m), plain + plain);
    }

    [Fact]
    public void ToString_DefaultExtras_PrintsEveryComponent()
    {
        var text = new CostBreakdown(1m, 0m, 0m, 0m, 0m).ToString();

        Assert.Contains("CacheWrite1h = 0", text, StringComparison.Ordinal);
        Assert.Contains("Requests = 0", text, StringComparison.Ordinal);
        Assert.Contains("ServiceTier = ,", text, StringComparison.Ordinal);
    }
}
