namespace TokenGovernor.Tests.Pricing;

/// <summary>Value semantics of <see cref="TokenUsage"/>, whose split counts are stored apart from the five categories.</summary>
public class TokenUsageTests
{
    [Fact]
    public void Equals_SplitCountsBackToZero_EqualsUsageWithoutThem()
    {
        var plain = new TokenUsage(10, 20, 30, 40, 50);
        var withSplit = plain with { InputAudioTokens = 5 };

        Assert.Equal(plain, withSplit - new TokenUsage(0, 0, 0, 0, 0) { InputAudioTokens = 5 });
        Assert.Equal(plain, withSplit with { InputAudioTokens = 0 });
        Assert.Equal(plain.GetHashCode(), (withSplit with { InputAudioTokens = 0 }).GetHashCode());
        Assert.NotEqual(plain, withSplit);
    }

    [Fact]
    public void Add_SplitOnOneSide_SumsEveryCount()
    {
        var plain = new TokenUsage(1, 2, 3, 4, 5);
        var split = new TokenUsage(1, 0, 3, 0, 0) { CacheWrite1hTokens = 2, WebSearchCalls = 3, OutputImageTokens = 0 };

        var sum = plain + split;

        Assert.Equal(new TokenUsage(2, 2, 6, 4, 5) { CacheWrite1hTokens = 2, WebSearchCalls = 3 }, sum);
        Assert.Equal(19, sum.TotalTokens);
        Assert.Equal(3, sum.WebSearchCalls);
        Assert.Equal(0, plain.WebSearchCalls);
        Assert.Equal(new TokenUsage(2, 4, 6, 8, 10), plain + plain);
        Assert.Equal(default, plain - plain);
    }
}
