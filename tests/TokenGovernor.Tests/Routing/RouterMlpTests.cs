using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Routing;

public class RouterMlpTests
{
    // Two standardised inputs; the first tier is right on the diagonal quadrants only (exclusive or), which no linear head can fit.
    private static (float[] X, double[][] Targets) Xor(int count, int seed)
    {
        var random = new Random(seed);
        var x = new float[count * 2];
        var targets = new double[count][];
        for (var r = 0; r < count; r++)
        {
            var a = random.NextDouble() < 0.5 ? -1f : 1f;
            var b = random.NextDouble() < 0.5 ? -1f : 1f;
            x[r * 2] = a + (float)(0.1 * (random.NextDouble() - 0.5));
            x[(r * 2) + 1] = b + (float)(0.1 * (random.NextDouble() - 0.5));
            targets[r] = [a * b > 0 ? 1 : 0, 1];
        }

        return (x, targets);
    }

    private static double[] Predict(RouterMlp mlp, float a, float b)
    {
        var q = new double[mlp.Outputs];
        mlp.Predict([a, b], q);
        return q;
    }

    [Fact]
    public void Fit_ExclusiveOr_SeparatesWhatALinearHeadCannot()
    {
        var (x, targets) = Xor(400, 1);

        var mlp = RouterMlp.Fit(x, 2, targets, 2, hidden: 8, steps: 300, l2: 1e-3, seed: 5);

        Assert.True(Predict(mlp, 1, 1)[0] > 0.8);
        Assert.True(Predict(mlp, -1, -1)[0] > 0.8);
        Assert.True(Predict(mlp, 1, -1)[0] < 0.2);
        Assert.True(Predict(mlp, -1, 1)[0] < 0.2);
    }

    [Fact]
    public void Fit_SameRowsAndSeed_SameWeights()
    {
        var (x, targets) = Xor(200, 2);

        var first = RouterMlp.Fit(x, 2, targets, 2, 8, 50, 1e-3, 5);
        var second = RouterMlp.Fit(x, 2, targets, 2, 8, 50, 1e-3, 5);

        Assert.Equal(first.W1, second.W1);
        Assert.Equal(first.W2, second.W2);
        Assert.Equal(first.B1, second.B1);
        Assert.Equal(first.B2, second.B2);
    }

    [Fact]
    public void WriteThenRead_SamePredictions_AndAWrongShapeIsAFormatException()
    {
        var (x, targets) = Xor(200, 3);
        var mlp = RouterMlp.Fit(x, 2, targets, 2, 8, 50, 1e-3, 5);
        var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            mlp.Write(w, 0.5);
            w.WriteEndObject();
        }

        using var doc = JsonDocument.Parse(stream.ToArray());
        var (read, weight) = RouterMlp.Read(doc.RootElement.GetProperty("mlp"), 2, 2, "test");

        Assert.Equal(0.5, weight);
        Assert.Equal(Predict(mlp, 0.3f, -0.7f), Predict(read, 0.3f, -0.7f));
        Assert.Throws<FormatException>(() => RouterMlp.Read(doc.RootElement.GetProperty("mlp"), 3, 2, "test"));
    }

    [Fact]
    public async Task TrainAsync_WithAnEmbedder_TopicsClusterWordsOnly_AndTheFileLoadsWithTheSameScores()
    {
        var random = new Random(1);
        var examples = new List<RoutingExample>();
        for (var i = 0; i < 300; i++)
        {
            var hard = i % 3 == 0;
            var prompt = $"Question {random.Next(1000)} about the {(hard ? "eigenvalue" : "river")} number {random.Next(50)}?\nA. one\nB. two\nAnswer:";
            examples.Add(RoutingExample.FromOutcomes(prompt, "Small", weakCorrect: !hard, "Large", strongCorrect: true));
        }

        var embedder = new HashingEmbeddingGenerator(64);
        var router = await LearnedRouter.TrainAsync(examples, new LearnedRouterTrainingOptions { HashBits = 12 }, embedder);
        var stream = new MemoryStream();
        router.Save(stream);
        var bytes = stream.ToArray();
        var again = new MemoryStream();
        (await LearnedRouter.TrainAsync(examples, new LearnedRouterTrainingOptions { HashBits = 12 }, embedder)).Save(again);
        var node = JsonNode.Parse(bytes)!;
        var loaded = LearnedRouter.FromStream(new MemoryStream(bytes), embedder);

        Assert.Equal(bytes, again.ToArray());
        Assert.Contains(node["version"]!.GetValue<int>(), new[] { 3, 4 });
        Assert.Equal(node["version"]!.GetValue<int>() == 4, node["mlp"] is not null);
        if (node["topics"] is { } topics)
        {
            Assert.Empty(topics["embeddings"]!.AsArray());
        }

        var ask = new List<ChatMessage> { new(ChatRole.User, "Question 7 about the eigenvalue number 3?\nA. one\nB. two\nAnswer:") };
        Assert.Equal(await router.ScoreAsync(ask), await loaded.ScoreAsync(ask), 6);
    }

    [Fact]
    public void PredictLinear_MlpWeight_MixesTheQualitiesOfBothHeads()
    {
        var features = new RouterFeatures(8, 2);
        var dense = features.DenseCount;
        var zeros = new float[1 << 8];
        var heads = new[] { new RouterHead("Small", 0, zeros, new float[dense]), new RouterHead("Large", 0, zeros, new float[dense]) };
        var scale = Enumerable.Repeat(1f, dense).ToArray();
        var (x, targets) = Xor(200, 4);
        var xs = new float[200 * dense];
        for (var r = 0; r < 200; r++)
        {
            xs[(r * dense) + RouterFeatures.RuleCount] = x[r * 2];
            xs[(r * dense) + RouterFeatures.RuleCount + 1] = x[(r * 2) + 1];
        }

        var mlp = RouterMlp.Fit(xs, dense, targets, 2, 8, 300, 1e-3, 5);
        var baseModel = new RouterModel(features, new float[dense], scale, heads) { QualityHeads = true };
        var row = features.Extract([new ChatMessage(ChatRole.User, "hello")], [1f, 1f]);
        var logistic = new double[1];
        var half = new double[1];
        var full = new double[1];
        var q = new double[2];

        baseModel.PredictLinear(row, logistic);
        baseModel.WithMlp(mlp, 0.5).PredictLinear(row, half);
        baseModel.WithMlp(mlp, 1).PredictLinear(row, full);
        var standardised = row.Dense.ToArray();
        mlp.Predict(standardised, q);

        Assert.Equal(0.5, logistic[0], 6); // both logistic heads say 0.5
        Assert.Equal((q[1] - q[0] + 1) / 2, full[0], 6);
        Assert.Equal((logistic[0] + full[0]) / 2, half[0], 6);
    }
}
