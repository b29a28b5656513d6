using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Routing;

public class AsyncClassifierTests
{
    private static readonly string[] s_tiers = ["Small", "Medium", "Large", "Reasoning"];

    private static List<ChatMessage> Ask(string text) => [new(ChatRole.User, text)];

    [Fact]
    public async Task EmbeddingCentroidClassifier_NearestExamples_DecideTheTier()
    {
        var classifier = new EmbeddingCentroidClassifier(new Dictionary<string, IReadOnlyList<string>>
        {
            ["Small"] = ["What are your opening hours?", "Where is my order?", "How do I reset my password?"],
            ["Large"] = ["Design a distributed architecture for event sourcing and compare consistency trade-offs", "Plan a database migration strategy in detail"],
            ["Reasoning"] = ["Prove that the square root of two is irrational", "Prove there are infinitely many primes"],
        });

        var small = await classifier.ClassifyAsync(Ask("what are the opening hours on sunday"), null, s_tiers, default);
        var reasoning = await classifier.ClassifyAsync(Ask("prove that the cube root of two is irrational"), null, s_tiers, default);

        Assert.Equal(0, small.Tier);
        Assert.False(small.NeedsReasoning);
        Assert.Equal(3, reasoning.Tier);
        Assert.True(reasoning.NeedsReasoning);
        Assert.Contains("centroid:Reasoning", reasoning.Signals);
    }

    [Fact]
    public async Task LlmComplexityClassifier_ParsesAnswerAndMemoizes()
    {
        var model = TestChatClient.Answering("Large", "gpt-4o-mini", null);
        var classifier = new LlmComplexityClassifier(model, "gpt-4o-mini");

        var first = await classifier.ClassifyAsync(Ask("Design our data platform"), null, s_tiers, default);
        var second = await classifier.ClassifyAsync(Ask("Design our data platform"), null, s_tiers, default);

        Assert.Equal(2, first.Tier);
        Assert.Same(first, second);
        Assert.Equal(1, classifier.ModelCalls);
    }

    [Fact]
    public async Task LlmComplexityClassifier_UnparsableOrFailing_FallsBackToRules()
    {
        var garbage = new LlmComplexityClassifier(TestChatClient.Answering("I am not sure.", "gpt-4o-mini", null));
        var failing = new LlmComplexityClassifier(new TestChatClient { GetResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("down") });

        var a = await garbage.ClassifyAsync(Ask("What are your opening hours?"), null, s_tiers, default);
        var b = await failing.ClassifyAsync(Ask("What are your opening hours?"), null, s_tiers, default);

        Assert.Equal(0, a.Tier);
        Assert.Contains("llm-unparsed", a.Signals);
        Assert.Contains("llm-failed", b.Signals);
    }

    [Fact]
    public async Task ModelRoutingChatClient_AsyncClassifier_IsUsedForRoutedCalls()
    {
        var seen = new List<string?>();
        var provider = new TestChatClient
        {
            GetResponseAsyncCallback = (_, o, _) =>
            {
                seen.Add(o?.ModelId);
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = o?.ModelId });
            },
        };
        var options = new RoutingOptions { AsyncClassifier = new LlmComplexityClassifier(TestChatClient.Answering("Large", null, null)) }.UseOpenAITiers();

        var response = await new ModelRoutingChatClient(provider, options).GetResponseAsync("hi");

        Assert.Equal(["gpt-4.1"], seen);
        Assert.Contains("llm:Large", response.GetGovernance()!.Routing!.Reasons);
    }
}
