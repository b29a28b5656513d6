using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace TokenGovernor.Tests.Tokens;

public class TiktokenTokenEstimatorTests
{
    private static readonly JsonDocument s_vectors = JsonDocument.Parse(File.ReadAllText(TestPaths.TestData("tiktoken-vectors.json")));
    private static readonly Lazy<Tokenizer> s_o200k = new(OrdinaryTiktoken.O200kBase);
    private static readonly Lazy<Tokenizer> s_cl100k = new(OrdinaryTiktoken.Cl100kBase);

    public static TheoryData<int> TextIndexes()
    {
        var data = new TheoryData<int>();
        for (var i = 0; i < s_vectors.RootElement.GetProperty("texts").GetArrayLength(); i++)
        {
            data.Add(i);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TextIndexes))]
    public void CountTokens_O200kText_EqualsTiktoken(int index) => AssertMatches(index, "o200k_base", "gpt-4o");

    [Theory]
    [MemberData(nameof(TextIndexes))]
    public void CountTokens_Cl100kText_EqualsTiktoken(int index) => AssertMatches(index, "cl100k_base", "gpt-4");

    [Theory]
    [InlineData("openai-cookbook-example", "gpt-4o", "o200k_base")]
    [InlineData("openai-cookbook-example", "gpt-4-0613", "cl100k_base")]
    [InlineData("unicode-conversation", "gpt-4.1-mini", "o200k_base")]
    [InlineData("unicode-conversation", "gpt-3.5-turbo", "cl100k_base")]
    public void CountPromptTokens_Chat_FollowsOpenAiRuleExactly(string name, string model, string encoding)
    {
        var chat = s_vectors.RootElement.GetProperty("chats").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var messages = chat.GetProperty("messages").EnumerateArray().Select(m => new ChatMessage(new ChatRole(m.GetProperty("role").GetString()!), m.GetProperty("content").GetString())
        {
            AuthorName = m.TryGetProperty("name", out var n) ? n.GetString() : null,
        }).ToList();

        var count = new TiktokenTokenEstimator().CountPromptTokens(messages, null, model);

        Assert.Equal(chat.GetProperty(encoding).GetInt32(), count);
    }

    [Fact]
    public void CountPromptTokens_CookbookExample_MatchesPublishedApiCounts()
    {
        // OpenAI's cookbook "How to count tokens with tiktoken" reports 129 prompt tokens for gpt-4-0613 and 124 for gpt-4o.
        var chat = s_vectors.RootElement.GetProperty("chats")[0];
        Assert.Equal(124, chat.GetProperty("o200k_base").GetInt32());
        Assert.Equal(129, chat.GetProperty("cl100k_base").GetInt32());
    }

    [Theory]
    [InlineData("gpt-4o", "o200k_base", true)]
    [InlineData("gpt-4o-mini-2024-07-18", "o200k_base", true)]
    [InlineData("openai/gpt-4.1-nano", "o200k_base", true)]
    [InlineData("gpt-4.5-preview", "o200k_base", true)]
    [InlineData("gpt-5-mini", "o200k_base", true)]
    [InlineData("o1", "o200k_base", true)]
    [InlineData("o3-mini", "o200k_base", true)]
    [InlineData("o4-mini", "o200k_base", true)]
    [InlineData("gpt-4", "cl100k_base", true)]
    [InlineData("gpt-4-turbo", "cl100k_base", true)]
    [InlineData("gpt-3.5-turbo-0125", "cl100k_base", true)]
    public void GetTokenizerInfo_OpenAiModel_UsesItsOwnEncoding(string model, string encoding, bool exact)
    {
        var info = TiktokenTokenEstimator.Default.GetTokenizerInfo(model);
        Assert.Equal(encoding, info.Encoding);
        Assert.Equal(exact, info.IsExact);
        Assert.Equal(0, info.ExpectedRelativeError);
    }

    [Theory]
    [InlineData("claude-sonnet-4-20250514", 0.15)]
    [InlineData("gemini-2.5-pro", 0.10)]
    [InlineData("together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo", 0.10)]
    [InlineData("some-new-model", 0.20)]
    public void GetTokenizerInfo_OtherProvider_IsHeuristicWithStatedError(string model, double error)
    {
        var info = TiktokenTokenEstimator.Default.GetTokenizerInfo(model);
        Assert.False(info.IsExact);
        Assert.Equal(error, info.ExpectedRelativeError);
    }

    [Fact]
    public void CountTokens_ClaudeModel_ScalesO200kCountByFactor()
    {
        var text = string.Join(' ', Enumerable.Repeat("The quick brown fox jumps over the lazy dog.", 20));
        var o200k = TiktokenTokenEstimator.Default.CountTokens(text, "gpt-4o");

        Assert.Equal((int)Math.Ceiling(o200k * 1.20), TiktokenTokenEstimator.Default.CountTokens(text, "claude-3-5-sonnet"));
    }

    [Fact]
    public void CountPromptTokens_AfterOneNewMessage_TokenizesOnlyTheNewMessage()
    {
        var estimator = new TiktokenTokenEstimator();
        var history = Conversation(50);
        estimator.CountPromptTokens(history, null, "gpt-4o");
        var before = estimator.MessagesTokenized;

        history.Add(new ChatMessage(ChatRole.User, "One more question about the deployment."));
        estimator.CountPromptTokens(history, null, "gpt-4o");

        Assert.Equal(1, estimator.MessagesTokenized - before);
    }

    [Fact]
    public void CountPromptTokens_ShortRequestCountedAgainAfterChanges_MatchesAFreshCount()
    {
        // A short request counted twice in a row (routing, then budgets) is answered by reference the second time; every
        // change to a message must still give the count of a fresh estimator.
        var estimator = new TiktokenTokenEstimator();
        var question = new ChatMessage(ChatRole.User, "How do I reset my password?");
        var messages = new List<ChatMessage> { new(ChatRole.System, "You are a helpful assistant."), question };
        Assert.Equal(Fresh(messages), estimator.CountPromptTokens(messages, null, "gpt-4o"));
        Assert.Equal(Fresh(messages), estimator.CountPromptTokens(messages, null, "gpt-4o"));

        ((TextContent)question.Contents[0]).Text = "How do I reset my password on the website, step by step, with screenshots?";
        Assert.Equal(Fresh(messages), estimator.CountPromptTokens(messages, null, "gpt-4o"));

        question.AuthorName = "alice";
        Assert.Equal(Fresh(messages), estimator.CountPromptTokens(messages, null, "gpt-4o"));

        question.Role = ChatRole.Assistant;
        Assert.Equal(Fresh(messages), estimator.CountPromptTokens(messages, null, "gpt-4o"));

        question.Contents.Add(new TextContent(" And my username too."));
        Assert.Equal(Fresh(messages), estimator.CountPromptTokens(messages, null, "gpt-4o"));

        question.Contents[0] = new TextContent("Short.");
        Assert.Equal(Fresh(messages), estimator.CountPromptTokens(messages, null, "gpt-4o"));

        // Another encoding for the same objects is a separate count.
        Assert.Equal(new TiktokenTokenEstimator().CountPromptTokens(messages, null, "gpt-4"), estimator.CountPromptTokens(messages, null, "gpt-4"));

        static int Fresh(List<ChatMessage> messages) =>
            new TiktokenTokenEstimator().CountPromptTokens(messages.Select(m => m.Clone()).ToList(), null, "gpt-4o");
    }

    [Fact]
    public void CountPromptTokens_MessageMutatedAfterCounting_IsRecounted()
    {
        var estimator = new TiktokenTokenEstimator();
        var message = new ChatMessage(ChatRole.User, "short");
        var before = estimator.CountPromptTokens([message], null, "gpt-4o");

        ((TextContent)message.Contents[0]).Text = "a considerably longer text than before, with many more tokens in it";
        var after = estimator.CountPromptTokens([message], null, "gpt-4o");

        Assert.Equal(new TiktokenTokenEstimator(new TokenEstimatorOptions { MessageCacheCapacity = 0 }).CountPromptTokens([message], null, "gpt-4o"), after);
        Assert.True(after > before);
    }

    [Fact]
    public void CountPromptTokens_ContentAddedToCountedMessage_IsRecounted()
    {
        var estimator = new TiktokenTokenEstimator();
        var message = new ChatMessage(ChatRole.User, "first part");
        var before = estimator.CountPromptTokens([message], null, "gpt-4o");

        message.Contents.Add(new TextContent(" and a second part"));

        Assert.True(estimator.CountPromptTokens([message], null, "gpt-4o") > before);
    }

    [Fact]
    public void CountPromptTokens_Memoized_EqualsCold()
    {
        var history = Conversation(40);
        var cold = new TiktokenTokenEstimator(new TokenEstimatorOptions { MessageCacheCapacity = 0 });
        var warm = new TiktokenTokenEstimator();
        warm.CountPromptTokens(history, null, "gpt-4o");

        Assert.Equal(cold.CountPromptTokens(history, null, "gpt-4o"), warm.CountPromptTokens(history, null, "gpt-4o"));
    }

    [Fact]
    public void CountPromptTokens_SameTextOtherRole_IsCountedSeparately()
    {
        var estimator = new TiktokenTokenEstimator();
        var asUser = estimator.CountPromptTokens([new ChatMessage(ChatRole.User, "hello")], null, "gpt-4o");
        var named = estimator.CountPromptTokens([new ChatMessage(ChatRole.User, "hello") { AuthorName = "bob" }], null, "gpt-4o");

        Assert.Equal(asUser + 2, named); // 1 for the name field + 1 token for "bob"
    }

    [Fact]
    public void CountPromptTokens_MemoryCap_StaysBounded()
    {
        var estimator = new TiktokenTokenEstimator(new TokenEstimatorOptions { MessageCacheCapacity = 64 });
        for (var i = 0; i < 1_000; i++)
        {
            estimator.CountPromptTokens([new ChatMessage(ChatRole.User, $"message number {i}")], null, "gpt-4o");
        }

        Assert.InRange(estimator.CachedMessageCount, 1, 64);
    }

    [Fact]
    public void CountPromptTokens_Instructions_CountAsSystemMessage()
    {
        var estimator = new TiktokenTokenEstimator();
        var viaOptions = estimator.CountPromptTokens([new ChatMessage(ChatRole.User, "hi")], new ChatOptions { Instructions = "Be brief." }, "gpt-4o");
        var viaMessage = estimator.CountPromptTokens([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "hi")], null, "gpt-4o");

        Assert.Equal(viaMessage, viaOptions);
    }

    [Fact]
    public void CountPromptTokens_Tools_FollowCookbookRule()
    {
        var schema = JsonDocument.Parse("""
            {"type":"object","properties":{
              "location":{"type":"string","description":"The city and state, e.g. San Francisco, CA"},
              "unit":{"type":"string","description":"The unit of temperature.","enum":["celsius","fahrenheit"]}},
             "required":["location"]}
            """).RootElement;
        var tool = AIFunctionFactory.CreateDeclaration("get_current_weather", "Get the current weather in a given location.", schema);
        var estimator = new TiktokenTokenEstimator();
        var messages = new List<ChatMessage> { new(ChatRole.User, "What's the weather like in San Francisco?") };
        var o200k = s_o200k.Value;

        var without = estimator.CountPromptTokens(messages, null, "gpt-4o");
        var with = estimator.CountPromptTokens(messages, new ChatOptions { Tools = [tool] }, "gpt-4o");

        // func_init 7 + name:description, prop_init 3, per property prop_key 3 + name:type:description,
        // enum_init -3 + per item 3 + item, func_end 12.
        var expected = 7 + o200k.CountTokens("get_current_weather:Get the current weather in a given location")
            + 3
            + 3 + o200k.CountTokens("location:string:The city and state, e.g. San Francisco, CA")
            + 3 - 3 + 3 + o200k.CountTokens("celsius") + 3 + o200k.CountTokens("fahrenheit") + o200k.CountTokens("unit:string:The unit of temperature")
            + 12;
        Assert.Equal(expected, with - without);
    }

    [Fact]
    public void CountPromptTokens_ToolCallAndResult_AreCounted()
    {
        var estimator = new TiktokenTokenEstimator();
        var call = new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "lookup_order", new Dictionary<string, object?> { ["id"] = 42 })]);
        var result = new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c1", "{\"status\":\"shipped\"}")]);

        Assert.True(estimator.CountPromptTokens([call, result], null, "gpt-4o") > estimator.CountPromptTokens([], null, "gpt-4o") + 2 * 4);
    }

    [Fact]
    public void CountPromptTokens_ParallelCallers_AgreeWithSequential()
    {
        var estimator = new TiktokenTokenEstimator(new TokenEstimatorOptions { MessageCacheCapacity = 32 });
        var conversations = Enumerable.Range(0, 16).Select(i => Conversation(10 + i)).ToArray();
        var expected = conversations.Select(c => new TiktokenTokenEstimator(new TokenEstimatorOptions { MessageCacheCapacity = 0 }).CountPromptTokens(c, null, "gpt-4o")).ToArray();

        Parallel.For(0, 512, i =>
        {
            var k = i % conversations.Length;
            Assert.Equal(expected[k], estimator.CountPromptTokens(conversations[k], null, "gpt-4o"));
        });
    }

    [Fact]
    public void CountPromptTokens_NullMessages_Throws() =>
        Assert.Throws<ArgumentNullException>(() => TiktokenTokenEstimator.Default.CountPromptTokens(null!, null, "gpt-4o"));

    internal static List<ChatMessage> Conversation(int count)
    {
        var list = new List<ChatMessage> { new(ChatRole.System, "You are a careful senior engineer. Answer with code when it helps.") };
        for (var i = 1; i < count; i++)
        {
            list.Add(i % 2 == 1
                ? new ChatMessage(ChatRole.User, $"Step {i}: the build fails with error CS{1000 + i} in Foo{i}.cs; what should I change in the project file and why?")
                : new ChatMessage(ChatRole.Assistant, $"At step {i}, open Foo{i}.cs and replace `var x{i} = Compute({i});` with `int x{i} = Compute({i});`, then rebuild. The analyzer flags implicit typing there."));
        }

        return list;
    }

    private static void AssertMatches(int index, string encoding, string model)
    {
        var vector = s_vectors.RootElement.GetProperty("texts")[index];
        var text = vector.GetProperty("text").GetString()!;
        var expected = vector.GetProperty(encoding).EnumerateArray().Select(e => e.GetInt32()).ToArray();

        Assert.Equal(expected.Length, TiktokenTokenEstimator.Default.CountTokens(text, model));
        var tokenizer = encoding == "o200k_base" ? s_o200k.Value : s_cl100k.Value;
        Assert.Equal(expected, tokenizer.EncodeToIds(text).ToArray());
    }
}
