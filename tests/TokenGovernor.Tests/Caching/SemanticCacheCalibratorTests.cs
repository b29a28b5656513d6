using System.Text.Json;

namespace TokenGovernor.Tests.Caching;

public class SemanticCacheCalibratorTests
{
    private static List<(LabeledPair Pair, string Kind)> Load() =>
        File.ReadLines(TestPaths.TestData("semantic-cache-pairs.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Select(e => (new LabeledPair(e.GetProperty("a").GetString()!, e.GetProperty("b").GetString()!, e.GetProperty("label").GetInt32() == 1), e.GetProperty("kind").GetString()!))
            .ToList();

    [Fact]
    public async Task CalibrateAsync_ShippedPairs_RecommendsThresholdReachingTarget()
    {
        var report = await SemanticCacheCalibrator.CalibrateAsync(Load().Select(x => x.Pair), targetPrecision: 0.95);

        Assert.Equal(2548, report.Pairs);
        Assert.Equal(50, report.Thresholds.Count);
        Assert.NotNull(report.Recommended);
        var chosen = report.Thresholds.Single(t => t.Threshold == report.Recommended);
        Assert.True(chosen.Precision >= 0.95);
        Assert.True(chosen.Recall > 0.3, $"recall {chosen.Recall}");
        Assert.All(report.Thresholds.Where(t => t.Threshold < report.Recommended), t => Assert.True(t.Precision < 0.95));
    }

    [Fact]
    public async Task CalibrateAsync_RecallFallsAsThresholdRises()
    {
        var report = await SemanticCacheCalibrator.CalibrateAsync(Load().Select(x => x.Pair));

        for (var i = 1; i < report.Thresholds.Count; i++)
        {
            Assert.True(report.Thresholds[i].Recall <= report.Thresholds[i - 1].Recall);
        }
    }

    [Fact]
    public async Task CalibrateAsync_HandwrittenHardNegatives_NeverAcceptedAtDefaultThreshold()
    {
        var hard = Load().Where(x => x.Kind == "hard").Select(x => x.Pair).ToList();

        var report = await SemanticCacheCalibrator.CalibrateAsync(hard.Concat([new LabeledPair("How do I reset my password?", "how can I reset my password", true)]), thresholds: [0.5, 0.9]);

        // With only one positive, any accepted hard negative would pull precision below 1.
        Assert.All(report.Thresholds, t => Assert.Equal(1.0, t.Precision));
    }

    [Fact]
    public async Task CalibrateAsync_GuardOff_LexicalEmbedderServesHardNegatives()
    {
        var hard = Load().Where(x => x.Kind == "hard").Select(x => x.Pair).Concat([new LabeledPair("How do I reset my password?", "how can I reset my password", true)]);
        var noGuard = new SemanticCacheGuard { CheckNegation = false, CheckSubstitution = false, CheckValues = false };

        var report = await SemanticCacheCalibrator.CalibrateAsync(hard, guard: noGuard, thresholds: [0.8]);

        Assert.True(report.Thresholds[0].Precision < 0.5, "without the guard the lexical embedder accepts most hard negatives");
    }
}
