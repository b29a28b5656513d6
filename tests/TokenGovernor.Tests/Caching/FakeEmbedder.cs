namespace TokenGovernor.Tests.Caching;

/// <summary>An embedder driven by a function, counting its calls, with the metadata (and usage) a test gives it.</summary>
internal sealed class FakeEmbedder(Func<string, float[]>? embed = null, EmbeddingGeneratorMetadata? metadata = null, Func<IReadOnlyList<string>, UsageDetails?>? usage = null)
    : IEmbeddingGenerator<string, Embedding<float>>
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Every text embeds to the same unit vector (similarity 1).</summary>
    public static float[] Constant(string text)
    {
        _ = text;
        var vector = new float[8];
        vector[0] = 1;
        return vector;
    }

    /// <summary>A unit vector whose cosine similarity with <c>[1, 0, …]</c> is <paramref name="similarity"/>.</summary>
    public static float[] At(double similarity)
    {
        var vector = new float[8];
        vector[0] = (float)similarity;
        vector[1] = (float)Math.Sqrt(1 - (similarity * similarity));
        return vector;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        var texts = values.ToList();
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Select(t => new Embedding<float>((embed ?? Constant)(t)) { ModelId = metadata?.DefaultModelId }))
        {
            Usage = usage?.Invoke(texts),
        };
        return Task.FromResult(result);
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null :
        serviceType == typeof(EmbeddingGeneratorMetadata) ? metadata :
        serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
