using System.Diagnostics.Tracing;
using Microsoft.Extensions.DependencyInjection;

namespace TokenGovernor.Embeddings.MiniLM.Tests;

public sealed class MiniLMEmbeddingGeneratorTests(MiniLMFixture fixture) : IClassFixture<MiniLMFixture>
{
    private const float Tolerance = 1e-4f;

    [Fact]
    public void Tokenize_FixedSentences_MatchIndependentWordPiece()
    {
        // Lower-cased, accents stripped, punctuation split, unknown words as WordPiece pieces (never [UNK] = 100).
        foreach (var reference in fixture.References)
        {
            Assert.Equal(reference.Ids, fixture.Embedder.Tokenize(reference.Text));
            Assert.DoesNotContain(100, fixture.Embedder.Tokenize(reference.Text));
        }
    }

    [Fact]
    public async Task GenerateAsync_FixedSentencesInOneBatch_MatchReferenceVectors()
    {
        var embeddings = await fixture.Embedder.GenerateAsync(fixture.References.Select(r => r.Text));

        Assert.Equal(fixture.References.Count, embeddings.Count);
        for (var i = 0; i < embeddings.Count; i++)
        {
            AssertClose(fixture.References[i].Vector, embeddings[i].Vector.Span);
            Assert.Equal(MiniLMEmbeddingGenerator.ModelId, embeddings[i].ModelId);
        }
    }

    [Fact]
    public async Task GenerateAsync_FixedSentencesOneAtATime_MatchReferenceVectors()
    {
        foreach (var reference in fixture.References)
        {
            var embedding = await fixture.Embedder.GenerateAsync([reference.Text]);
            AssertClose(reference.Vector, embedding[0].Vector.Span);
            Assert.Equal(1f, System.Numerics.Tensors.TensorPrimitives.Norm(embedding[0].Vector.Span), 1e-5f);
        }
    }

    [Fact]
    public async Task GenerateAsync_SixteenConcurrentCallers_EachGetsItsOwnVectorInSharedRuns()
    {
        var texts = Enumerable.Range(0, 64).Select(i => fixture.References[i % fixture.References.Count]).ToArray();
        var runsBefore = fixture.Embedder.Runs;
        var textsBefore = fixture.Embedder.TextsEmbedded;

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(caller => Task.Run(async () =>
        {
            var mine = new List<(MiniLMFixture.Reference Reference, Embedding<float> Embedding)>();
            for (var i = caller; i < texts.Length; i += 16)
            {
                mine.Add((texts[i], (await fixture.Embedder.GenerateAsync([texts[i].Text]))[0]));
            }

            return mine;
        })));

        foreach (var (reference, embedding) in results.SelectMany(r => r))
        {
            AssertClose(reference.Vector, embedding.Vector.Span);
        }

        Assert.Equal(64, fixture.Embedder.TextsEmbedded - textsBefore);
        Assert.InRange(fixture.Embedder.Runs - runsBefore, 1, 64);
    }

    [Fact]
    public async Task ConstructorAndGenerateAsync_LoadAndEmbed_OpenNoConnection()
    {
        using var network = new NetworkListener();

        using (var embedder = new MiniLMEmbeddingGenerator(new MiniLMEmbeddingOptions { SessionCount = 1 }))
        {
            await embedder.GenerateAsync(["Is anything downloaded?"]);
        }

        Assert.Equal(0, network.Starts);
        Assert.DoesNotContain(typeof(MiniLMEmbeddingGenerator).Assembly.GetReferencedAssemblies(), a => a.Name!.StartsWith("System.Net", StringComparison.Ordinal));
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "minilm", "LICENSE-MODEL.txt")));
        Assert.True(File.Exists(Path.Combine(AppContext.BaseDirectory, "minilm", "NOTICE.txt")));
    }

    [Fact]
    public void Constructor_MissingModel_NamesTheSetting()
    {
        var error = Assert.Throws<FileNotFoundException>(() => new MiniLMEmbeddingGenerator(new MiniLMEmbeddingOptions { ModelPath = "/nonexistent/model.onnx" }));

        Assert.Contains("ModelPath", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddLocalEmbeddings_AppHasItsOwnEmbedder_CacheKeyGetsMiniLMAndAppKeepsItsOwn()
    {
        var services = new ServiceCollection();
        using var appEmbedder = new HashingEmbeddingGenerator();
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(appEmbedder);
        services.AddTokenGovernor().AddLocalEmbeddings(o => o.WarmUp = false);
        using var provider = services.BuildServiceProvider();

        Assert.IsType<MiniLMEmbeddingGenerator>(provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>(TokenGovernorServiceKeys.EmbeddingGenerator));
        Assert.Same(appEmbedder, provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
    }

    [Fact]
    public void GetService_ModelPrice_IsZeroSoTheCacheDoesNotMeterIt()
    {
        var price = fixture.Embedder.GetService<ModelPrice>();

        Assert.NotNull(price);
        Assert.Equal(0m, price.InputPerMillion);
        Assert.Equal(0m, price.OutputPerMillion);
    }

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var d = 0; d < expected.Length; d++)
        {
            Assert.True(Math.Abs(expected[d] - actual[d]) <= Tolerance, $"dimension {d}: expected {expected[d]}, got {actual[d]}");
        }
    }

    /// <summary>Counts HTTP requests, socket connections and DNS look-ups started anywhere in the process.</summary>
    private sealed class NetworkListener : EventListener
    {
        private int _starts;

        public int Starts => Volatile.Read(ref _starts);

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name is "System.Net.Http" or "System.Net.Sockets" or "System.Net.NameResolution")
            {
                EnableEvents(eventSource, EventLevel.Informational);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName is "RequestStart" or "ConnectStart" or "ResolutionStart")
            {
                Interlocked.Increment(ref _starts);
            }
        }
    }
}
