using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Caching;

public class ResponseCacheChatClientTests
{
    private static readonly UsageDetails s_usage = new() { InputTokenCount = 1_000, OutputTokenCount = 100 };

    /// <summary>A provider whose answer names everything that should partition the cache, so a wrong hit is visible.</summary>
    private static TestChatClient Provider(Func<ChatResponse, ChatResponse>? shape = null) => new()
    {
        GetResponseAsyncCallback = (messages, options, _) =>
        {
            var list = messages.ToList();
            var system = string.Join("|", list.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
            var tools = string.Join(",", options?.Tools?.Select(t => t.Name) ?? []);
            var answer = $"[{GovernanceScope.Current.Tenant}|{system}|{tools}|{options?.ModelId}] answer to {list[^1].Text}";
            var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { ModelId = options?.ModelId, Usage = s_usage, FinishReason = ChatFinishReason.Stop };
            return Task.FromResult(shape?.Invoke(response) ?? response);
        },
        GetStreamingResponseAsyncCallback = (messages, options, ct) => TestChatClient.Stream("streamed answer to " + messages.Last().Text, options?.ModelId, s_usage, ct),
    };

    private static IChatClient Pipeline(IChatClient provider, RecordingSink? sink = null, Action<ResponseCacheOptions>? configure = null,
        IDistributedCache? distributed = null, InMemoryBudgetLedger? ledger = null)
    {
        var builder = new ChatClientBuilder(provider);
        builder.Use(inner => new ResponseCacheChatClient(inner, Options(configure), distributed, sinks: sink is null ? null : [sink], catalog: PriceCatalog.BuiltIn));
        if (ledger is not null)
        {
            builder.UseBudgets(ledger, o => o.Ladder.Clear());
        }

        return builder.UseCostMetering(configure: o =>
        {
            if (sink is not null)
            {
                o.Sinks.Add(sink);
            }
        }).Build();
    }

    private static ResponseCacheOptions Options(Action<ResponseCacheOptions>? configure)
    {
        var o = new ResponseCacheOptions { EnableSemantic = true };
        configure?.Invoke(o);
        return o;
    }

    private static ChatOptions Gpt4o() => new() { ModelId = "gpt-4o" };

    [Fact]
    public async Task GetResponseAsync_ExactCacheFull_NewAnswerIsStoredAndServed()
    {
        // About 12 answers fit in 8 KB: after that, every new answer must still be stored (older ones make room).
        var provider = Provider();
        var client = Pipeline(provider, configure: o =>
        {
            o.EnableSemantic = false;
            o.ExactCacheSizeLimitBytes = 8 * 1024;
        });

        for (var i = 0; i < 60; i++)
        {
            var question = $"Question number {i}: what is the status of order {i * 7919}?";
            await client.GetResponseAsync(question, Gpt4o());
            var again = await client.GetResponseAsync(question, Gpt4o());

            Assert.True(again.GetGovernance()!.Cache == CacheStatus.Exact, $"question {i}: {again.GetGovernance()!.Cache}");
        }

        Assert.Equal(60, provider.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_ExactTimeToLiveElapsedOnPipelineClock_CallsProviderAgain()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var provider = Provider();
        var client = new ResponseCacheChatClient(provider, Options(o =>
        {
            o.EnableSemantic = false;
            o.ExactTimeToLive = TimeSpan.FromMinutes(10);
        }), catalog: PriceCatalog.BuiltIn, timeProvider: time);
        await client.GetResponseAsync("What is the status of order 42?", Gpt4o());
        time.Advance(TimeSpan.FromMinutes(9));
        var within = await client.GetResponseAsync("What is the status of order 42?", Gpt4o());

        time.Advance(TimeSpan.FromMinutes(1));
        var after = await client.GetResponseAsync("What is the status of order 42?", Gpt4o());

        Assert.Equal(CacheStatus.Exact, within.GetGovernance()!.Cache);
        Assert.Equal(CacheStatus.None, after.GetGovernance()!.Cache);
        Assert.Equal(2, provider.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_SameRequestTwice_SecondIsExactHitNotBilled()
    {
        var provider = Provider();
        var sink = new RecordingSink();
        var client = Pipeline(provider, sink);

        var first = await client.GetResponseAsync("What are your opening hours?", Gpt4o());
        var second = await client.GetResponseAsync("What are your opening hours?", Gpt4o());

        Assert.Equal(1, provider.Calls);
        Assert.Equal(first.Text, second.Text);
        var record = second.GetGovernance()!;
        Assert.Equal(CacheStatus.Exact, record.Cache);
        Assert.Equal(0m, record.Cost.Total);
        Assert.Equal(first.GetGovernance()!.Cost.Total, record.CostAvoided);
        Assert.Equal(0, second.Usage!.InputTokenCount);
        Assert.Equal(1, sink.Records.Count(r => r.Cache == CacheStatus.None));
        Assert.Equal(first.GetGovernance()!.Cost.Total, Assert.Single(sink.Records, r => r.Cache == CacheStatus.Exact).CostAvoided);
    }

    [Fact]
    public async Task GetResponseAsync_Hit_IsNotChargedToBudget()
    {
        var ledger = new InMemoryBudgetLedger([new BudgetPolicy("global") { CostLimit = 10m }]);
        var client = Pipeline(Provider(), ledger: ledger);

        await client.GetResponseAsync("hello", Gpt4o());
        var spent = ledger.GetUsage(GovernanceScope.Empty)[0].SpentCost;
        for (var i = 0; i < 5; i++)
        {
            await client.GetResponseAsync("hello", Gpt4o());
        }

        Assert.Equal(spent, ledger.GetUsage(GovernanceScope.Empty)[0].SpentCost);
        Assert.Equal(0, ledger.OutstandingReservations);
    }

    [Fact]
    public async Task GetResponseAsync_RandomPartitions_NeverServeAnotherPartitionsAnswer()
    {
        var random = new Random(42);
        var provider = Provider();
        var client = Pipeline(provider, configure: o => o.SimilarityThreshold = 0.5f);
        string[] tenants = ["acme", "globex", "initech"];
        string[] systems = ["You are a support bot.", "You are a pirate.", "Answer in French."];
        string[][] toolSets = [[], ["lookup_order"], ["lookup_order", "refund"]];
        string[] models = ["gpt-4o", "gpt-4o-mini"];
        string[] questions = ["What are your opening hours?", "What are your opening hours today?", "When do you open?"];

        for (var i = 0; i < 400; i++)
        {
            var tenant = tenants[random.Next(tenants.Length)];
            var system = systems[random.Next(systems.Length)];
            var tools = toolSets[random.Next(toolSets.Length)];
            var model = models[random.Next(models.Length)];
            var question = questions[random.Next(questions.Length)];
            using var _ = GovernanceScope.Begin(tenant: tenant);
            var options = new ChatOptions { ModelId = model, Tools = tools.Length == 0 ? null : tools.Select(t => (AITool)AIFunctionFactory.Create(() => "x", t)).ToList() };

            var response = await client.GetResponseAsync([new ChatMessage(ChatRole.System, system), new ChatMessage(ChatRole.User, question)], options);

            Assert.StartsWith($"[{tenant}|{system}|{string.Join(",", tools)}|{model}]", response.Text, StringComparison.Ordinal);
        }

        Assert.True(provider.Calls < 400, "the property run should also exercise hits");
    }

    [Fact]
    public async Task GetResponseAsync_SemanticParaphrase_IsSemanticHit()
    {
        var provider = Provider();
        var client = Pipeline(provider, configure: o => o.SimilarityThreshold = 0.6f);

        await client.GetResponseAsync("How do I reset my password?", Gpt4o());
        var hit = await client.GetResponseAsync("how can I reset my password", Gpt4o());

        Assert.Equal(1, provider.Calls);
        Assert.Equal(CacheStatus.Semantic, hit.GetGovernance()!.Cache);
        Assert.InRange(hit.GetGovernance()!.CacheSimilarity!.Value, 0.6, 1.0);
    }

    [Theory]
    [InlineData("Is the store open on Sunday?", "Is the store not open on Sunday?")]
    [InlineData("Book a table for 2 people", "Book a table for 4 people")]
    [InlineData("How do I cancel my order?", "How do I cancel my subscription?")]
    public async Task GetResponseAsync_NegatedOrChangedQuestion_IsNotServedCachedAnswer(string first, string second)
    {
        var provider = Provider();
        var client = Pipeline(provider, configure: o => o.SimilarityThreshold = 0.3f);

        await client.GetResponseAsync(first, Gpt4o());
        var response = await client.GetResponseAsync(second, Gpt4o());

        Assert.Equal(2, provider.Calls);
        Assert.EndsWith(second, response.Text, StringComparison.Ordinal);
    }

    public static TheoryData<string> NeverStored() => ["tool-call", "length", "content-filter", "conversation-state"];

    [Theory]
    [MemberData(nameof(NeverStored))]
    public async Task GetResponseAsync_NeverStoreList_IsNeverServed(string kind)
    {
        var provider = Provider(r =>
        {
            switch (kind)
            {
                case "tool-call":
                    r.Messages[0].Contents.Add(new FunctionCallContent("c1", "lookup"));
                    r.FinishReason = ChatFinishReason.ToolCalls;
                    break;
                case "length":
                    r.FinishReason = ChatFinishReason.Length;
                    break;
                case "content-filter":
                    r.FinishReason = ChatFinishReason.ContentFilter;
                    break;
                default:
                    r.ConversationId = "conv-1";
                    break;
            }

            return r;
        });
        var client = Pipeline(provider);

        await client.GetResponseAsync("hello", Gpt4o());
        await client.GetResponseAsync("hello", Gpt4o());

        Assert.Equal(2, provider.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_BudgetFallbackReply_IsNotStored()
    {
        var ledger = new InMemoryBudgetLedger([new BudgetPolicy("global") { CostLimit = 0m }]);
        var provider = Provider();
        var client = new ChatClientBuilder(provider)
            .UseResponseCache()
            .UseBudgets(ledger, o => o.FallbackResponse = new ChatResponse(new ChatMessage(ChatRole.Assistant, "Busy, try later.")) { FinishReason = ChatFinishReason.Stop })
            .UseCostMetering()
            .Build();

        var refused = await client.GetResponseAsync("hello", Gpt4o());
        var again = await client.GetResponseAsync("hello", Gpt4o());

        Assert.Equal("Busy, try later.", refused.Text);
        Assert.Equal(CacheStatus.None, again.GetGovernance()!.Cache);
        Assert.NotNull(again.GetGovernance()!.Refusal);
    }

    [Fact]
    public async Task GetResponseAsync_ProviderError_IsNotStored()
    {
        var calls = 0;
        var provider = new TestChatClient
        {
            GetResponseAsyncCallback = (_, o, _) => ++calls == 1
                ? throw new HttpRequestException("500")
                : Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")) { ModelId = "gpt-4o", Usage = s_usage }),
        };
        var client = Pipeline(provider);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetResponseAsync("hello", Gpt4o()));
        var response = await client.GetResponseAsync("hello", Gpt4o());

        Assert.Equal(CacheStatus.None, response.GetGovernance()!.Cache);
    }

    [Theory]
    [InlineData("temperature")]
    [InlineData("opt-out")]
    [InlineData("conversation")]
    public async Task GetResponseAsync_Bypass_NeitherLooksUpNorStores(string reason)
    {
        var provider = Provider();
        var client = Pipeline(provider);
        ChatOptions Make() => reason switch
        {
            "temperature" => new ChatOptions { ModelId = "gpt-4o", Temperature = 1.2f },
            "opt-out" => new ChatOptions { ModelId = "gpt-4o", AdditionalProperties = new() { [ResponseCacheOptions.BypassKey] = true } },
            _ => new ChatOptions { ModelId = "gpt-4o", ConversationId = "c-1" },
        };

        await client.GetResponseAsync("hello", Make());
        await client.GetResponseAsync("hello", Make());
        await client.GetResponseAsync("hello", Gpt4o());

        Assert.Equal(3, provider.Calls);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Completed_IsStoredAndServedAsStream()
    {
        var provider = Provider();
        var client = Pipeline(provider);

        var first = await client.GetStreamingResponseAsync("stream me", Gpt4o()).ToChatResponseAsync();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in client.GetStreamingResponseAsync("stream me", Gpt4o()))
        {
            updates.Add(update);
        }

        Assert.Equal(1, provider.Calls);
        Assert.Equal(first.Text, updates.ToChatResponse().Text);
        Assert.Equal(CacheStatus.Exact, updates[^1].GetGovernance()!.Cache);
    }

    [Fact]
    public async Task GetStreamingResponseAsync_Abandoned_IsNotStored()
    {
        var provider = Provider();
        var client = Pipeline(provider);

        await foreach (var update in client.GetStreamingResponseAsync("stream me", Gpt4o()))
        {
            break;
        }

        await client.GetResponseAsync("stream me", Gpt4o());
        Assert.Equal(2, provider.Calls);
    }

    [Fact]
    public async Task GetResponseAsync_DistributedStore_HitsAcrossClients()
    {
        var store = new MemoryDistributedCache(Microsoft.Extensions.Options.Options.Create(new MemoryDistributedCacheOptions()));
        var provider = Provider();

        await Pipeline(provider, distributed: store).GetResponseAsync("shared question", Gpt4o());
        var response = await Pipeline(provider, distributed: store).GetResponseAsync("shared question", Gpt4o());

        Assert.Equal(1, provider.Calls);
        Assert.Equal(CacheStatus.Exact, response.GetGovernance()!.Cache);
    }

    [Fact]
    public async Task GetResponseAsync_DistributedEntryForAnotherRequestUnderSameKey_IsNotServed()
    {
        // Simulates a hash collision: every key lookup returns the entry stored for a different canonical request.
        var store = new CollidingCache();
        var provider = Provider();
        var client = Pipeline(provider, distributed: store);

        await client.GetResponseAsync("question A", Gpt4o());
        var response = await client.GetResponseAsync("question B", Gpt4o());

        Assert.Equal(2, provider.Calls);
        Assert.EndsWith("question B", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_InvalidOptions_ThrowsNamingMember()
    {
        var ex = Assert.Throws<OptionsValidationException>(() => new ResponseCacheChatClient(Provider(), new ResponseCacheOptions { SimilarityThreshold = 1.5f }));
        Assert.Contains("SimilarityThreshold", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetResponseAsync_NullMessages_Throws() =>
        await Assert.ThrowsAsync<ArgumentNullException>(() => Pipeline(Provider()).GetResponseAsync((IEnumerable<ChatMessage>)null!));

    [Fact]
    public async Task GetResponseAsync_ManyParallelCallers_AllGetTheirOwnAnswers()
    {
        var client = Pipeline(Provider(), configure: o => o.SimilarityThreshold = 0.5f);
        await Parallel.ForAsync(0, 256, async (i, ct) =>
        {
            using var _ = GovernanceScope.Begin(tenant: "t" + (i % 8));
            var response = await client.GetResponseAsync($"Question number {i % 16}", Gpt4o(), ct);
            Assert.StartsWith($"[t{i % 8}|", response.Text, StringComparison.Ordinal);
            Assert.EndsWith($"Question number {i % 16}", response.Text, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task GetResponseAsync_DistributedCacheThrows_ProviderAnswersAsAMiss(bool streaming)
    {
        var provider = Provider();
        var client = Pipeline(provider, distributed: new BrokenCache());

        var text = streaming
            ? (await client.GetStreamingResponseAsync("Where is my order?", Gpt4o()).ToChatResponseAsync()).Text
            : (await client.GetResponseAsync("Where is my order?", Gpt4o())).Text;

        Assert.Contains("answer to Where is my order?", text, StringComparison.Ordinal);
        Assert.Equal(1, provider.Calls);
    }

    // A distributed cache whose every operation fails, like a cache server that is down.
    private sealed class BrokenCache : IDistributedCache
    {
        public byte[]? Get(string key) => throw new IOException("cache down");

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => throw new IOException("cache down");

        public void Refresh(string key) => throw new IOException("cache down");

        public Task RefreshAsync(string key, CancellationToken token = default) => throw new IOException("cache down");

        public void Remove(string key) => throw new IOException("cache down");

        public Task RemoveAsync(string key, CancellationToken token = default) => throw new IOException("cache down");

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => throw new IOException("cache down");

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) => throw new IOException("cache down");
    }

    private sealed class CollidingCache : IDistributedCache
    {
        private byte[]? _only;

        public byte[]? Get(string key) => _only;

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(_only);

        public void Refresh(string key)
        {
        }

        public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

        public void Remove(string key) => _only = null;

        public Task RemoveAsync(string key, CancellationToken token = default)
        {
            _only = null;
            return Task.CompletedTask;
        }

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => _only ??= value;

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
        {
            _only ??= value;
            return Task.CompletedTask;
        }
    }
}
