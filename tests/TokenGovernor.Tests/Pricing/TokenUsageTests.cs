using CsCheck;

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
    public void Subtract_AfterAdd_GivesBackTheFirstUsage()
    {
        var count = Gen.Long[-1_000_000, 1_000_000];
        var usage = Gen.Select(count.Array[12], c => new TokenUsage(c[0], c[1], c[2], c[3], c[4])
        {
            CacheWrite1hTokens = c[5], InputAudioTokens = c[6], InputImageTokens = c[7], CachedInputAudioTokens = c[8],
            OutputAudioTokens = c[9], OutputImageTokens = c[10], WebSearchCalls = c[11],
        });

        Gen.Select(usage, usage).Sample((a, b) => a + b - b == a && a + b == b + a && (a - b).WebSearchCalls == a.WebSearchCalls - b.WebSearchCalls);
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
