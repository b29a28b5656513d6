using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// What the semantic cache uses with an embedder when the options do not say: the similarity threshold and the guard. An
/// embedder declares its own by returning an instance from <c>GetService(typeof(SemanticCacheDefaults))</c>; the local MiniLM
/// embedder and <see cref="HashingEmbeddingGenerator"/> do. <c>tokengov calibrate</c> prints the threshold as <c>default_threshold</c>.
/// </summary>
/// <param name="SimilarityThreshold">The lowest cosine similarity of a hit.</param>
/// <param name="Guard">The guard applied to candidates at or above the threshold.</param>
/// <param name="QuestionMargin">How much higher the similarity of two questions must be (threshold + margin): a question's
/// answer depends on exactly what it asks, and questions that share a template ("what is the best …") score high even when
/// they ask different things. 0 for lexical embedders; calibrated for MiniLM.</param>
public sealed record SemanticCacheDefaults(float SimilarityThreshold, SemanticCacheGuard Guard, float QuestionMargin = 0f)
{
    /// <summary>Gets the defaults of lexical embedders (<see cref="HashingEmbeddingGenerator"/>): 0.80 with <see cref="SemanticCacheGuard.Default"/>.
    /// They are also used for an embedder that declares none: calibrate such an embedder on your own pairs and set the threshold.</summary>
    public static SemanticCacheDefaults Lexical { get; } = new(0.80f, SemanticCacheGuard.Default);

    /// <summary>Gets the defaults the semantic cache uses with <paramref name="embeddingGenerator"/>.</summary>
    /// <param name="embeddingGenerator">The embedder, or <see langword="null"/> for the cache's default (<see cref="HashingEmbeddingGenerator"/>).</param>
    /// <returns>The embedder's declared defaults, else <see cref="Lexical"/>.</returns>
    public static SemanticCacheDefaults For(IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator) =>
        embeddingGenerator?.GetService<SemanticCacheDefaults>() ?? Lexical;
}
