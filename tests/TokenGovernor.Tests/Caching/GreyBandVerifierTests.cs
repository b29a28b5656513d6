using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Caching;

/// <summary>The optional second stage: a cheap model asked about candidates just under the threshold, its cost counted against the saving.</summary>
public class GreyBandVerifierTests
{
    private const string Stored = "How do I reset my password";
    private static readonly UsageDetails s_usage = new() { InputTokenCount = 1_000, OutputTokenCount = 100 };
    private static readonly UsageDetails s_verifierUsage = new() { InputTokenCount = 120, OutputTokenCount = 1 };

    // The stored text embeds to [1, 0, …]; each other text to a vector at the similarity it names.
    private static readonly Dictionary<string, double> s_similarity = new(StringComparer.Ordinal)
    {
        [Stored] = 1.0,
        ["How can I reset my password"] = 0.78,   // in the grey band under 0.80
        ["How do I reset my router"] = 0.70,      // below the band
        ["How do I reset my password please"] = 0.85, // above the threshold
    };

    private static TestChatClient Provider() => new()
    {
        GetResponseAsyncCallback = (messages, options, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "answer to " + messages.Last().Text))
        {
            ModelId = options?.ModelId,
            Usage = s_usage,
            FinishReason = ChatFinishReason.Stop,
        }),
        GetStreamingResponseAsyncCallback = (messages, options, ct) => TestChatClient.Stream("answer to " + messages.Last().Text, options?.ModelId, s_usage, ct),
    };

    private static TestChatClient Verifier(string reply, List<IList<ChatMessage>>? asked = null) => new()
    {
        GetResponseAsyncCallback = (messages, options, _) =>
        {
            asked?.Add(messages.ToList());
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply)) { ModelId = options?.ModelId, Usage = s_verifierUsage });
        },
    };

    private static IChatClient Pipeline(IChatClient provider, IChatClient? verifier, float greyBand = 0.05f) =>
        new ChatClientBuilder(provider)
            .Use(inner => new ResponseCacheChatClient(inner, new ResponseCacheOptions
            {
                EnableSemantic = true,
                EnableExact = false,
                SimilarityThreshold = 0.80f,
                QuestionMargin = 0f,
                Guard = SemanticCacheGuard.Meaning,
                Verifier = verifier,
                VerifierModelId = "gpt-4o-mini",
                GreyBand = greyBand,
            }, embeddingGenerator: new FakeEmbedder(t => FakeEmbedder.At(s_similarity[t])), catalog: PriceCatalog.BuiltIn))
            .UseCostMetering()
            .Build();

    private static ChatOptions Gpt4o() => new() { ModelId = "gpt-4o" };

    private static decimal AnswerCost() => CostCalculator.Calculate(s_usage, PriceCatalog.BuiltIn.GetPrice("gpt-4o")).Total;

    private static decimal VerifierCost() => CostCalculator.Calculate(s_verifierUsage, PriceCatalog.BuiltIn.GetPrice("gpt-4o-mini")).Total;

    [Fact]
    public async Task GetResponseAsync_GreyBandCandidateVerifierSaysYes_ServesHitNetOfVerifierCost()
    {
        var provider = Provider();
        var client = Pipeline(provider, Verifier("YES"));
        await client.GetResponseAsync(Stored, Gpt4o());

        var response = await client.GetResponseAsync("How can I reset my password", Gpt4o());

        var record = response.GetGovernance()!;
        Assert.Equal(1, provider.Calls);
        Assert.Equal("answer to " + Stored, response.Text);
        Assert.Equal(CacheStatus.Semantic, record.Cache);
        Assert.Equal(0.78, record.CacheSimilarity!.Value, 3);
        Assert.Equal(VerifierCost(), record.CacheCost);
        Assert.Equal(VerifierCost(), record.Cost.Total);
        Assert.Equal(AnswerCost() - VerifierCost(), record.CostAvoided);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_GreyBandCandidateVerifierSaysYes_StreamsHitNetOfVerifierCost()
    {
        var provider = Provider();
        var client = Pipeline(provider, Verifier("Yes."));
        await client.GetResponseAsync(Stored, Gpt4o());

        var response = await client.GetStreamingResponseAsync("How can I reset my password", Gpt4o()).ToChatResponseAsync();

        var record = response.GetGovernance()!;
        Assert.Equal(1, provider.Calls);
        Assert.Equal(CacheStatus.Semantic, record.Cache);
        Assert.Equal(AnswerCost() - VerifierCost(), record.CostAvoided);
    }

    [Fact]
    public async Task GetResponseAsync_GreyBandCandidateVerifierSaysNo_CallsProviderAndCountsTheCheck()
    {
        var provider = Provider();
        var client = Pipeline(provider, Verifier("NO"));
        await client.GetResponseAsync(Stored, Gpt4o());

        var record = (await client.GetResponseAsync("How can I reset my password", Gpt4o())).GetGovernance()!;

        Assert.Equal(2, provider.Calls);
        Assert.Equal(CacheStatus.None, record.Cache);
        Assert.Equal(VerifierCost(), record.CacheCost);
        Assert.Equal(AnswerCost() + VerifierCost(), record.Cost.Total);
        Assert.Equal(-VerifierCost(), record.CostAvoided);
        Assert.Equal(1, record.ProviderCalls);
    }

    [Fact]
    public async Task GetResponseAsync_GreyBandCandidate_VerifierIsShownBothRequests()
    {
        var asked = new List<IList<ChatMessage>>();
        var client = Pipeline(Provider(), Verifier("NO", asked));
        await client.GetResponseAsync(Stored, Gpt4o());

        await client.GetResponseAsync("How can I reset my password", Gpt4o());

        var prompt = Assert.Single(asked);
        Assert.Equal(ChatRole.System, prompt[0].Role);
        Assert.Contains(Stored, prompt[1].Text, StringComparison.Ordinal);
        Assert.Contains("How can I reset my password", prompt[1].Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_CandidateBelowTheGreyBand_VerifierNotAsked()
    {
        var verifier = Verifier("YES");
        var provider = Provider();
        var client = Pipeline(provider, verifier);
        await client.GetResponseAsync(Stored, Gpt4o());

        var record = (await client.GetResponseAsync("How do I reset my router", Gpt4o())).GetGovernance()!;

        Assert.Equal(0, verifier.Calls);
        Assert.Equal(2, provider.Calls);
        Assert.Equal(0m, record.CacheCost);
    }

    [Fact]
    public async Task GetResponseAsync_CandidateAboveTheThreshold_HitWithoutAskingTheVerifier()
    {
        var verifier = Verifier("NO");
        var provider = Provider();
        var client = Pipeline(provider, verifier);
        await client.GetResponseAsync(Stored, Gpt4o());

        var record = (await client.GetResponseAsync("How do I reset my password please", Gpt4o())).GetGovernance()!;

        Assert.Equal(0, verifier.Calls);
        Assert.Equal(CacheStatus.Semantic, record.Cache);
        Assert.Equal(AnswerCost(), record.CostAvoided);
    }

    [Fact]
    public async Task GetResponseAsync_NoVerifier_GreyBandCandidateIsAMiss()
    {
        var provider = Provider();
        var client = Pipeline(provider, verifier: null);
        await client.GetResponseAsync(Stored, Gpt4o());

        var record = (await client.GetResponseAsync("How can I reset my password", Gpt4o())).GetGovernance()!;

        Assert.Equal(2, provider.Calls);
        Assert.Equal(CacheStatus.None, record.Cache);
    }

    [Fact]
    public async Task GetResponseAsync_VerifierThrows_TreatedAsDifferent()
    {
        var verifier = new TestChatClient { GetResponseAsyncCallback = (_, _, _) => throw new HttpRequestException("down") };
        var provider = Provider();
        var client = Pipeline(provider, verifier);
        await client.GetResponseAsync(Stored, Gpt4o());

        var record = (await client.GetResponseAsync("How can I reset my password", Gpt4o())).GetGovernance()!;

        Assert.Equal(2, provider.Calls);
        Assert.Equal(CacheStatus.None, record.Cache);
        Assert.Equal(0m, record.CacheCost);
    }

    [Fact]
    public async Task GetResponseAsync_GovernedVerifierClient_ItsCallDoesNotJoinTheCachedCallsRecord()
    {
        var sink = new RecordingSink();
        var verifier = new ChatClientBuilder(Verifier("YES")).UseCostMetering(configure: o => o.Sinks.Add(sink)).Build();
        var client = Pipeline(Provider(), verifier);
        await client.GetResponseAsync(Stored, Gpt4o());

        var record = (await client.GetResponseAsync("How can I reset my password", Gpt4o())).GetGovernance()!;

        Assert.Equal(0, record.ProviderCalls);
        Assert.Equal("gpt-4o-mini", Assert.Single(sink.Records).ModelId);
    }
}
