using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Routing;

public class RouterTopicsTests
{
    // Topics like MMLU's subjects: each a vocabulary of 150 words, a few common and most rare, of which a prompt uses eight,
    // and each with its own share of prompts that need the strong tier.
    private static readonly double[] s_eightTopics = [0.05, 0.1, 0.15, 0.2, 0.5, 0.6, 0.7, 0.8];
    private static readonly double[] s_twoTopics = [0.1, 0.7];

    private static string Prompt(Random random, int topic)
    {
        var words = Enumerable.Range(0, 8).Select(_ => $"t{topic}w{(int)(150 * Math.Pow(random.NextDouble(), 2))}");
        return $"Question {random.Next(1000)}: {string.Join(' ', words)}?\nA. one\nB. two\nAnswer:";
    }

    private static List<RoutingExample> TopicExamples(int count, int seed, double[]? gains = null)
    {
        gains ??= s_eightTopics;
        var random = new Random(seed);
        var list = new List<RoutingExample>(count);
        for (var i = 0; i < count; i++)
        {
            var topic = random.Next(gains.Length);
            var gain = random.NextDouble() < gains[topic];
            list.Add(RoutingExample.FromOutcomes(Prompt(random, topic), "Small", weakCorrect: !gain, "Large", strongCorrect: true));
        }

        return list;
    }

    private static LearnedRouterTrainingOptions Options(bool topicPrior) => new() { Iterations = 150, HashBits = 12, TopicPrior = topicPrior };

    private static List<ChatMessage> Ask(string text) => [new(ChatRole.User, text)];

    [Fact]
    public void Fit_SameTextsAndSeed_SameClusters()
    {
        var texts = TopicExamples(200, 3).Select(e => e.Messages[0].Text).ToList();

        var first = RouterTopics.Fit(texts, null, 17, default)!;
        var second = RouterTopics.Fit(texts, null, 17, default)!;

        Assert.Equal(first.Clusterings, second.Clusterings);
        Assert.All(texts, t => Assert.Equal(first.Assign(t, []), second.Assign(t, [])));
    }

    [Fact]
    public void Fit_TooFewTexts_ReturnsNull()
    {
        var texts = TopicExamples(30, 3).Select(e => e.Messages[0].Text).ToList();

        Assert.Null(RouterTopics.Fit(texts, null, 17, default));
    }

    [Fact]
    public void Assign_TextSharingNoTermWithAnyCluster_IsMinusOne()
    {
        var topics = RouterTopics.Fit([.. TopicExamples(200, 3).Select(e => e.Messages[0].Text)], null, 17, default)!;

        Assert.All(topics.Assign("zzz qqq", []), c => Assert.Equal(-1, c));
    }

    [Fact]
    public void Assign_TwoTopics_MostClusteringsSeparateThem()
    {
        var random = new Random(5);
        var topics = RouterTopics.Fit([.. TopicExamples(300, 3, s_twoTopics).Select(e => e.Messages[0].Text)], null, 17, default)!;

        // Clusters are several per topic, but a cluster holds one topic: in every clustering, at least 95% of new prompts
        // fall in a cluster where their own topic is the majority.
        var algebra = Enumerable.Range(0, 100).Select(_ => topics.Assign(Prompt(random, 0), [])).ToArray();
        var geography = Enumerable.Range(0, 100).Select(_ => topics.Assign(Prompt(random, 1), [])).ToArray();
        for (var c = 0; c < topics.Clusterings; c++)
        {
            var a = algebra.Select(x => x[c]).ToList();
            var g = geography.Select(x => x[c]).ToList();
            var pure = a.Count(k => a.Count(x => x == k) > g.Count(x => x == k)) + g.Count(k => g.Count(x => x == k) > a.Count(x => x == k));
            Assert.True(pure >= 190, $"clustering {c}: {pure} of 200 prompts in a cluster of their own topic");
        }
    }

    [Fact]
    public void Learn_SmallCluster_IsShrunkTowardTheOverallMean()
    {
        var topics = new RouterTopics([new RouterTopics.WordClustering(2, [1u, 2u], [0, 1], [1f, 1f])], []);
        // Cluster 0: 2 rows with label 1; cluster 1: 38 rows with label 0.
        var assignments = Enumerable.Range(0, 40).Select(i => new[] { i < 2 ? 0 : 1 }).ToArray();
        var targets = Enumerable.Range(0, 40).Select(i => new[] { i < 2 ? 1.0 : 0.0 }).ToArray();

        var gains = TopicGains.Learn(topics, assignments, targets, [.. Enumerable.Range(0, 40)], 1);

        var overall = 2.0 / 40;
        Assert.Equal(overall, gains.Base[0], 5);
        Assert.Equal((2 + (TopicGains.Shrinkage * overall)) / (2 + TopicGains.Shrinkage), gains.Gains[0][0], 5);
    }

    [Fact]
    public async Task TrainAsync_GainIsATopicProperty_TopicPriorRoutesHeldOutPromptsAsIfToldTheTopic()
    {
        var train = TopicExamples(600, 1);
        var test = TopicExamples(600, 2);
        var with = await LearnedRouter.TrainAsync(train, Options(topicPrior: true));
        var without = await LearnedRouter.TrainAsync(train, Options(topicPrior: false));

        var apgrWith = await ApgrAsync(with, test);
        var apgrWithout = await ApgrAsync(without, test);
        var oracle = RouterEvaluation.Apgr([.. test.Select(e => s_eightTopics[e.Messages[0].Text[e.Messages[0].Text.IndexOf(": t", StringComparison.Ordinal) + 3] - '0'])],
            [.. test.Select(e => e.Quality["Small"])], [.. test.Select(e => e.Quality["Large"])]);

        var message = $"with topic prior {apgrWith:0.000}, without {apgrWithout:0.000}, told the topic {oracle:0.000}";
        Assert.True(apgrWith >= oracle - 0.005, message);
        Assert.True(apgrWith > apgrWithout + 0.005, message);
    }

    [Fact]
    public async Task SaveThenLoad_WithTopicPrior_SameScores()
    {
        var router = await LearnedRouter.TrainAsync(TopicExamples(600, 1), Options(topicPrior: true));
        var stream = new MemoryStream();
        router.Save(stream);
        stream.Position = 0;

        var loaded = LearnedRouter.FromStream(stream);

        Assert.Contains("\"topics\"", Encoding.UTF8.GetString(stream.ToArray()), StringComparison.Ordinal);
        var random = new Random(9);
        for (var i = 0; i < 20; i++)
        {
            var prompt = Ask(Prompt(random, i % 8));
            Assert.Equal(await router.ScoreAsync(prompt), await loaded.ScoreAsync(prompt), 6);
        }
    }

    [Fact]
    public async Task TrainAsync_TopicPriorOff_WritesNoTopics()
    {
        var router = await LearnedRouter.TrainAsync(TopicExamples(200, 1), Options(topicPrior: false));
        var stream = new MemoryStream();

        router.Save(stream);

        Assert.DoesNotContain("\"topics\"", Encoding.UTF8.GetString(stream.ToArray()), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(2, true)]
    public async Task Load_OlderVersionFile_GainHeads_StillLoadsAndScoresTheSame(int version, bool topicPrior)
    {
        var options = Options(topicPrior);
        options.GainHeads = true;
        var router = await LearnedRouter.TrainAsync(TopicExamples(400, 1), options);
        var stream = new MemoryStream();
        router.Save(stream);

        // An older file: its version, and no head_target (versions 1 and 2 have gain heads only).
        var node = JsonNode.Parse(stream.ToArray())!.AsObject();
        Assert.Equal("gain", node["head_target"]!.GetValue<string>());
        node["version"] = version;
        node.Remove("head_target");
        var old = node.ToJsonString();

        var loaded = LearnedRouter.FromStream(new MemoryStream(Encoding.UTF8.GetBytes(old)));

        var random = new Random(4);
        for (var i = 0; i < 10; i++)
        {
            var prompt = Ask(Prompt(random, i % 8));
            Assert.Equal(await router.ScoreAsync(prompt), await loaded.ScoreAsync(prompt), 6);
        }
    }

    [Fact]
    public async Task Save_QualityHeads_WritesVersion3WithOneHeadPerTier()
    {
        var router = await LearnedRouter.TrainAsync(TopicExamples(200, 1), Options(topicPrior: false));
        var stream = new MemoryStream();
        router.Save(stream);

        using var doc = JsonDocument.Parse(stream.ToArray());
        Assert.Equal(3, doc.RootElement.GetProperty("version").GetInt32());
        Assert.Equal("quality", doc.RootElement.GetProperty("head_target").GetString());
        Assert.Contains(doc.RootElement.GetProperty("weak_weight").GetDouble(), RouterModel.WeakWeights);
        Assert.Equal(["Small", "Large"], doc.RootElement.GetProperty("heads").EnumerateArray().Select(h => h.GetProperty("tier").GetString()));
    }

    [Fact]
    public async Task Load_WeakWeightOtherThanOne_ScoresLikeTheModelWithThatWeight()
    {
        var router = await LearnedRouter.TrainAsync(TopicExamples(200, 1), Options(topicPrior: false));
        var stream = new MemoryStream();
        router.Save(stream);
        var node = JsonNode.Parse(stream.ToArray())!;
        node["weak_weight"] = 1.5;
        var heavy = LearnedRouter.FromStream(new MemoryStream(Encoding.UTF8.GetBytes(node.ToJsonString())));
        node["weak_weight"] = 0.5;
        var light = LearnedRouter.FromStream(new MemoryStream(Encoding.UTF8.GetBytes(node.ToJsonString())));
        node["weak_weight"] = -1;

        // The score is (q(strong) − w × q(weak) + 1) / 2, so a heavier weak head lowers every score.
        var prompt = Ask(Prompt(new Random(4), 6));
        Assert.True(await heavy.ScoreAsync(prompt) < await light.ScoreAsync(prompt));
        Assert.Throws<FormatException>(() => LearnedRouter.FromStream(new MemoryStream(Encoding.UTF8.GetBytes(node.ToJsonString()))));
    }

    [Fact]
    public async Task Load_QualityHeadsMissingAHead_ThrowsFormatException()
    {
        var router = await LearnedRouter.TrainAsync(TopicExamples(200, 1), Options(topicPrior: false));
        var stream = new MemoryStream();
        router.Save(stream);
        var node = JsonNode.Parse(stream.ToArray())!;
        node["heads"]!.AsArray().RemoveAt(0);

        var ex = Assert.Throws<FormatException>(() => LearnedRouter.FromStream(new MemoryStream(Encoding.UTF8.GetBytes(node.ToJsonString()))));
        Assert.Contains("quality heads", ex.Message, StringComparison.Ordinal);
    }

    private static async Task<double> ApgrAsync(LearnedRouter router, List<RoutingExample> test)
    {
        var scores = new double[test.Count];
        for (var i = 0; i < test.Count; i++)
        {
            scores[i] = await router.ScoreAsync(test[i].Messages);
        }

        return RouterEvaluation.Apgr(scores, [.. test.Select(e => e.Quality["Small"])], [.. test.Select(e => e.Quality["Large"])]);
    }
}
