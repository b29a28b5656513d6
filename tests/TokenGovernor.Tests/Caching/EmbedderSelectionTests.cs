using Microsoft.Extensions.DependencyInjection;
using TokenGovernor.Testing;

namespace TokenGovernor.Tests.Caching;

/// <summary>The semantic cache uses only an embedder given to TokenGovernor explicitly, never the app's own from DI.</summary>
public class EmbedderSelectionTests
{
    private static readonly ChatOptions s_options = new() { ModelId = "gpt-4o" };

    private static TestChatClient Provider() => new()
    {
        GetResponseAsyncCallback = (_, options, _) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "answer"))
        {
            ModelId = options?.ModelId,
            Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5 },
            FinishReason = ChatFinishReason.Stop,
        }),
    };

    [Fact]
    public async Task UseTokenGovernor_OnlyTheAppsUnkeyedEmbedderInDI_NeverCallsIt()
    {
        var appEmbedder = new FakeEmbedder();
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(appEmbedder);
        services.AddTokenGovernor();
        using var sp = services.BuildServiceProvider();
        var client = new ChatClientBuilder(Provider()).UseTokenGovernor(g => g.UseSemanticCache()).Build(sp);

        await client.GetResponseAsync("What are your opening hours?", s_options);
        await client.GetResponseAsync("When are you open?", s_options);

        Assert.Equal(0, appEmbedder.Calls);
    }

    [Fact]
    public async Task UseTokenGovernor_AppEmbedderUnderAnotherKey_NeverCallsIt()
    {
        var appEmbedder = new FakeEmbedder();
        var services = new ServiceCollection();
        services.AddKeyedSingleton<IEmbeddingGenerator<string, Embedding<float>>>("rag", appEmbedder);
        services.AddTokenGovernor();
        using var sp = services.BuildServiceProvider();
        var client = new ChatClientBuilder(Provider()).UseTokenGovernor(g => g.UseSemanticCache()).Build(sp);

        await client.GetResponseAsync("What are your opening hours?", s_options);

        Assert.Equal(0, appEmbedder.Calls);
    }

    [Fact]
    public async Task UseTokenGovernor_EmbedderRegisteredForTokenGovernor_UsesItAndNotTheAppsOwn()
    {
        var appEmbedder = new FakeEmbedder();
        var governorEmbedder = new FakeEmbedder();
        var services = new ServiceCollection();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(appEmbedder);
        services.AddTokenGovernor().AddEmbeddingGenerator(_ => governorEmbedder);
        using var sp = services.BuildServiceProvider();
        var client = new ChatClientBuilder(Provider()).UseTokenGovernor(g => g.UseSemanticCache()).Build(sp);

        await client.GetResponseAsync("What are your opening hours?", s_options);

        Assert.Equal(0, appEmbedder.Calls);
        Assert.Equal(1, governorEmbedder.Calls);
    }

    [Fact]
    public async Task UseTokenGovernor_EmbedderPassedToUseSemanticCache_WinsOverTheRegisteredOne()
    {
        var registered = new FakeEmbedder();
        var passed = new FakeEmbedder();
        var services = new ServiceCollection();
        services.AddTokenGovernor().AddEmbeddingGenerator(_ => registered);
        using var sp = services.BuildServiceProvider();
        var client = new ChatClientBuilder(Provider()).UseTokenGovernor(g => g.UseSemanticCache(embeddingGenerator: passed)).Build(sp);

        await client.GetResponseAsync("What are your opening hours?", s_options);

        Assert.Equal(0, registered.Calls);
        Assert.Equal(1, passed.Calls);
    }
}
