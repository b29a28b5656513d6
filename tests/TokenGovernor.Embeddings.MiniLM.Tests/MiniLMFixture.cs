using System.Text.Json;

namespace TokenGovernor.Embeddings.MiniLM.Tests;

/// <summary>One loaded model shared by the tests of a class (loading takes about a second).</summary>
public sealed class MiniLMFixture : IDisposable
{
    public MiniLMFixture()
    {
        Embedder = new MiniLMEmbeddingGenerator(new MiniLMEmbeddingOptions { SessionCount = 2, IntraOpThreads = 1, MaxBatchSize = 8 });
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference-vectors.json")));
        References = document.RootElement.GetProperty("sentences").EnumerateArray()
            .Select(e => new Reference(
                e.GetProperty("text").GetString()!,
                e.GetProperty("ids").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
                e.GetProperty("vector").EnumerateArray().Select(x => x.GetSingle()).ToArray()))
            .ToArray();
    }

    public MiniLMEmbeddingGenerator Embedder { get; }

    public IReadOnlyList<Reference> References { get; }

    public void Dispose() => Embedder.Dispose();

    public sealed record Reference(string Text, int[] Ids, float[] Vector);
}
