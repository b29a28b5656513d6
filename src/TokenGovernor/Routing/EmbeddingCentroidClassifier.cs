using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Classifies a request by the labelled examples it is most similar to: each tier's examples are embedded once and averaged into a
/// centroid (L2-normalised), and the last user turn goes to the tier of the nearest centroid (cosine, SIMD).
/// </summary>
/// <remarks>With the default <see cref="HashingEmbeddingGenerator"/> similarity is lexical; a neural embedder generalises better.
/// Requests whose nearest tier is a reasoning tier need reasoning. Thread-safe; centroids are built on first use.</remarks>
public sealed class EmbeddingCentroidClassifier : IAsyncComplexityClassifier
{
    private readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _examples;
    private readonly IEmbeddingGenerator<string, Embedding<float>> _embedder;
    private readonly ISet<string> _reasoningTiers;
    private readonly SemaphoreSlim _build = new(1, 1);
    private (string Tier, float[] Centroid)[]? _centroids;

    /// <summary>Initializes a new classifier.</summary>
    /// <param name="examples">Example requests per tier name (at least one tier with at least one example).</param>
    /// <param name="embeddingGenerator">The embedder; defaults to <see cref="HashingEmbeddingGenerator"/>.</param>
    /// <param name="reasoningTiers">The tier names whose requests need reasoning.</param>
    public EmbeddingCentroidClassifier(IReadOnlyDictionary<string, IReadOnlyList<string>> examples,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null, IEnumerable<string>? reasoningTiers = null)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (!examples.Any(e => e.Value.Count > 0))
        {
            throw new ArgumentException("Give at least one example request for at least one tier.", nameof(examples));
        }

        _examples = examples;
        _embedder = embeddingGenerator ?? new HashingEmbeddingGenerator();
        _reasoningTiers = new HashSet<string>(reasoningTiers ?? ["Reasoning"], StringComparer.OrdinalIgnoreCase);
    }

    /// <inheritdoc />
    public async ValueTask<ComplexityAssessment> ClassifyAsync(IList<ChatMessage> messages, ChatOptions? options, IReadOnlyList<string> tierNames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentNullException.ThrowIfNull(tierNames);
        var centroids = _centroids ?? await BuildAsync(cancellationToken).ConfigureAwait(false);
        var text = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
        var query = (await _embedder.GenerateVectorAsync(text, cancellationToken: cancellationToken).ConfigureAwait(false)).ToArray();
        var best = (Tier: centroids[0].Tier, Similarity: float.MinValue);
        foreach (var (tier, centroid) in centroids)
        {
            var similarity = TensorPrimitives.CosineSimilarity(query, centroid);
            if (similarity > best.Similarity)
            {
                best = (tier, similarity);
            }
        }

        var index = Math.Max(0, IndexOf(tierNames, best.Tier));
        var score = tierNames.Count == 1 ? 0 : (double)index / (tierNames.Count - 1);
        return new ComplexityAssessment(score, index, _reasoningTiers.Contains(best.Tier),
            [FormattableString.Invariant($"centroid:{best.Tier}"), FormattableString.Invariant($"similarity:{best.Similarity:0.00}")]);
    }

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private async Task<(string Tier, float[] Centroid)[]> BuildAsync(CancellationToken cancellationToken)
    {
        await _build.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_centroids is { } built)
            {
                return built;
            }

            var list = new List<(string, float[])>();
            foreach (var (tier, examples) in _examples)
            {
                if (examples.Count == 0)
                {
                    continue;
                }

                var embeddings = await _embedder.GenerateAsync(examples, cancellationToken: cancellationToken).ConfigureAwait(false);
                var sum = new float[embeddings[0].Vector.Length];
                foreach (var e in embeddings)
                {
                    TensorPrimitives.Add(sum, e.Vector.Span, sum);
                }

                var norm = TensorPrimitives.Norm(sum);
                if (norm > 0)
                {
                    TensorPrimitives.Divide(sum, norm, sum);
                }

                list.Add((tier, sum));
            }

            _centroids = [.. list];
            return _centroids;
        }
        finally
        {
            _build.Release();
        }
    }
}
