using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Routing;

public class LearnedRouterTests
{
    private static readonly string[] s_hardTopics = ["integral", "eigenvalue", "theorem", "derivative", "lemma", "matrix"];
    private static readonly string[] s_easyTopics = ["capital", "colour", "animal", "holiday", "river", "fruit"];

    // Prompts about hard topics need the strong tier (weak wrong, strong right); easy ones are answered by both.
    private static List<RoutingExample> Examples(int count, int seed)
    {
        var random = new Random(seed);
        var list = new List<RoutingExample>();
        for (var i = 0; i < count; i++)
        {
            var hard = i % 3 == 0;
            var topic = hard ? s_hardTopics[random.Next(s_hardTopics.Length)] : s_easyTopics[random.Next(s_easyTopics.Length)];
            var prompt = $"Question {random.Next(1000)} about the {topic}: which answer is right?\nA. one\nB. two\nAnswer:";
            list.Add(RoutingExample.FromOutcomes(prompt, "Small", weakCorrect: !hard, "Large", strongCorrect: true));
        }

        return list;
    }

    private static Task<LearnedRouter> TrainAsync(LearnedRouterTrainingOptions? options = null, IEmbeddingGenerator<string, Embedding<float>>? embedder = null) =>
        LearnedRouter.TrainAsync(Examples(120, 1), options ?? new LearnedRouterTrainingOptions { Iterations = 150, HashBits = 12 }, embedder);

    private static List<ChatMessage> Ask(string text) => [new(ChatRole.User, text)];

    [Fact]
    public async Task TrainAsync_SameExamplesAndSeed_WritesTheSameFile()
    {
        var first = new MemoryStream();
        var second = new MemoryStream();

        (await TrainAsync()).Save(first);
        (await TrainAsync()).Save(second);

        Assert.Equal(first.ToArray(), second.ToArray());
    }

    [Fact]
    public async Task TrainAsync_DefaultOptions_RecordsTheDefaultIterationsAndSeparatesTheTopics()
    {
        var router = await LearnedRouter.TrainAsync(Examples(120, 1));
        using var stream = new MemoryStream();
        router.Save(stream);
        using var doc = System.Text.Json.JsonDocument.Parse(stream.ToArray());

        Assert.Equal(150, new LearnedRouterTrainingOptions().Iterations);
        Assert.Equal(150, doc.RootElement.GetProperty("training").GetProperty("iterations").GetInt32());
        Assert.True(await router.ScoreAsync(Ask("Question 5 about the eigenvalue: which answer is right?\nA. one\nB. two\nAnswer:")) >
            await router.ScoreAsync(Ask("Question 5 about the river: which answer is right?\nA. one\nB. two\nAnswer:")));
    }

    [Fact]
    public async Task ScoreAsync_PromptNeedingTheStrongTier_ScoresHigherThanOneThatDoesNot()
    {
        var router = await TrainAsync();

        var hard = await router.ScoreAsync(Ask("Question 7 about the eigenvalue: which answer is right?"));
        var easy = await router.ScoreAsync(Ask("Question 7 about the river: which answer is right?"));

        Assert.True(hard > easy + 0.1, $"hard {hard:0.000}, easy {easy:0.000}");
    }

    [Fact]
    public async Task ClassifyAsync_TiersMatchedByName_ChoosesTheRoutersTierAmongMore()
    {
        var router = await TrainAsync();
        string[] tiers = ["Small", "Medium", "Large", "Reasoning"];

        var hard = await router.ClassifyAsync(Ask("Question 3 about the theorem: which answer is right?"), null, tiers, default);
        var easy = await router.ClassifyAsync(Ask("Question 3 about the fruit: which answer is right?"), null, tiers, default);

        Assert.Equal(2, hard.Tier);
        Assert.Equal(0, easy.Tier);
        Assert.False(hard.NeedsReasoning);
    }

    [Fact]
    public async Task ClassifyAsync_RouterTierNotAmongTiers_ThrowsNamingTheFix()
    {
        var router = await TrainAsync();

        var ex = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await router.ClassifyAsync(Ask("Question 3 about the theorem?"), null, ["Cheap", "Dear"], default));

        Assert.Contains("--tiers", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveThenLoad_SameScoresThresholdAndTiers()
    {
        var router = await TrainAsync();
        var path = Path.GetTempFileName();
        try
        {
            router.Save(path);
            var loaded = LearnedRouter.Load(path);

            Assert.Equal(router.Tiers, loaded.Tiers);
            Assert.Equal(router.Threshold, loaded.Threshold, 6);
            Assert.Equal(await router.ScoreAsync(Ask("about the matrix")), await loaded.ScoreAsync(Ask("about the matrix")), 6);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Load_TrainedWithAnEmbedderButLoadedWithout_ThrowsNamingTheEmbedder()
    {
        var router = await TrainAsync(embedder: new HashingEmbeddingGenerator(64));
        var stream = new MemoryStream();
        router.Save(stream);
        stream.Position = 0;

        var ex = Assert.ThrowsAny<InvalidOperationException>(() => LearnedRouter.FromStream(stream));

        Assert.Contains("hashing-ngram-v1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FromStream_NotARouterFile_ThrowsFormatException()
    {
        var ex = Assert.Throws<FormatException>(() => LearnedRouter.FromStream(new MemoryStream("{\"format\":\"other\"}"u8.ToArray())));

        Assert.Contains("route train", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TrainAsync_MaxStrongShare_OperatingPointStaysWithinIt()
    {
        var router = await TrainAsync(new LearnedRouterTrainingOptions { Iterations = 150, HashBits = 12, MaxStrongShare = 0.2 });

        Assert.InRange(router.TrainedOperatingPoint.StrongShare, 0, 0.2);
    }

    [Fact]
    public async Task TrainAsync_TargetQuality_KeepsThatShareOnHeldOutFolds()
    {
        var router = await TrainAsync(new LearnedRouterTrainingOptions { Iterations = 150, HashBits = 12, TargetQuality = 0.95 });

        Assert.True(router.TrainedOperatingPoint.QualityKept >= 0.95, $"kept {router.TrainedOperatingPoint.QualityKept}");
        Assert.True(router.TrainedOperatingPoint.StrongShare < 0.6, $"strong share {router.TrainedOperatingPoint.StrongShare}");
    }

    [Fact]
    public async Task WithThreshold_Zero_SendsEverythingUp()
    {
        var router = (await TrainAsync()).WithThreshold(0);

        var easy = await router.ClassifyAsync(Ask("Question 3 about the fruit?"), null, router.Tiers, default);

        Assert.Equal(1, easy.Tier);
    }

    [Fact]
    public async Task TrainAsync_TooFewExamples_ThrowsArgumentException()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => LearnedRouter.TrainAsync(Examples(5, 1)));
    }

    [Fact]
    public async Task RouterFile_InRoutingOptions_RoutesThroughTheLearnedRouter()
    {
        var path = Path.GetTempFileName();
        try
        {
            (await TrainAsync()).Save(path);
            var inner = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok"))) };
            using var client = new ChatClientBuilder(inner).UseModelRouting(o => o.UseOpenAITiers().RouterFile = path).Build();

            var hard = await client.GetResponseAsync(Ask("Question 3 about the theorem: which answer is right?"));
            var easy = await client.GetResponseAsync(Ask("Question 3 about the fruit: which answer is right?"));

            Assert.Equal("Large", hard.GetGovernance()!.Routing!.Tier);
            Assert.Equal("Small", easy.GetGovernance()!.Routing!.Tier);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RouterFile_Missing_FailsWhenTheClientIsBuilt()
    {
        var ex = Assert.Throws<InvalidOperationException>(() =>
            new ModelRoutingChatClient(new TestChatClient(), new RoutingOptions { RouterFile = "/no/such/router.json" }.UseOpenAITiers()));

        Assert.Contains("RouterFile", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apgr_PerfectOrder_BeatsReverseOrder()
    {
        double[] weak = [0, 1, 1, 0, 1];
        double[] strong = [1, 1, 1, 1, 0];
        double[] perfect = [1, 0.5, 0.5, 1, 0];

        var best = RouterEvaluation.Apgr(perfect, weak, strong);
        var worst = RouterEvaluation.Apgr([.. perfect.Select(s => -s)], weak, strong);

        Assert.True(best > 1, $"best {best}"); // the perfect order passes the all-strong quality before 100% strong
        Assert.True(worst < 0.5, $"worst {worst}");
    }

    [Fact]
    public void StrongShareFor_AllWeakAlreadyEnough_IsZero()
    {
        Assert.Equal(0, RouterEvaluation.StrongShareFor(0.95, [0.1, 0.2], [1, 1], [1, 1]));
    }
}
