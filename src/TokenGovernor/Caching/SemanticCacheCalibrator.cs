using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Measures the semantic cache's decision on labelled pairs, so a team can pick its similarity threshold on its own traffic.
/// The decision is exactly the cache's: cosine similarity of the embeddings at or above the threshold, and the
/// <see cref="SemanticCacheGuard"/> accepting the pair; so the precision reported is the cache's precision on that data.
/// </summary>
internal static class SemanticCacheCalibrator
{
    /// <summary>Evaluates thresholds and recommends the lowest one that reaches <paramref name="targetPrecision"/>.</summary>
    /// <param name="pairs">Labelled pairs: A is the cached text, B the new request.</param>
    /// <param name="embeddingGenerator">The embedder the cache uses; defaults to <see cref="HashingEmbeddingGenerator"/>.</param>
    /// <param name="guard">The guard the cache uses; defaults to the embedder's (<see cref="SemanticCacheDefaults.For"/>), as in the cache.</param>
    /// <param name="targetPrecision">The precision the recommended threshold must reach.</param>
    /// <param name="thresholds">The thresholds to evaluate; defaults to 0.50 to 0.99 in steps of 0.01.</param>
    /// <param name="cancellationToken">Cancels the evaluation.</param>
    /// <param name="questionMargin">The cache's question margin; defaults to the embedder's (<see cref="SemanticCacheDefaults.QuestionMargin"/>).
    /// At every threshold evaluated, two questions need that much more, as in the cache.</param>
    /// <returns>The report.</returns>
    public static async Task<CalibrationReport> CalibrateAsync(
        IEnumerable<LabeledPair> pairs,
        IEmbeddingGenerator<string, Embedding<float>>? embeddingGenerator = null,
        SemanticCacheGuard? guard = null,
        double targetPrecision = 0.95,
        IEnumerable<double>? thresholds = null,
        CancellationToken cancellationToken = default,
        float? questionMargin = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (targetPrecision is <= 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(targetPrecision), targetPrecision, "The target precision must be in (0, 1].");
        }

        var list = pairs.ToList();
        using var owned = embeddingGenerator is null ? new HashingEmbeddingGenerator() : null;
        var embedder = embeddingGenerator ?? owned!;
        guard ??= SemanticCacheDefaults.For(embedder).Guard;
        var margin = questionMargin ?? SemanticCacheDefaults.For(embedder).QuestionMargin;

        var texts = list.SelectMany(p => new[] { p.A, p.B }).Distinct(StringComparer.Ordinal).ToList();
        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var chunk in texts.Chunk(256))
        {
            var embeddings = await embedder.GenerateAsync(chunk, cancellationToken: cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < chunk.Length; i++)
            {
                vectors[chunk[i]] = embeddings[i].Vector.ToArray();
            }
        }

        // Per pair: the similarity, and whether the guard lets it through (independent of the threshold).
        var scored = list.Select(p => (
            Similarity: (double)TensorPrimitives.CosineSimilarity(vectors[p.A], vectors[p.B]),
            Guarded: guard.Accepts(p.B, p.A, out _),
            p.SameMeaning,
            Questions: SemanticCacheGuard.IsQuestion(p.A) && SemanticCacheGuard.IsQuestion(p.B))).ToList();
        var positives = scored.Count(s => s.SameMeaning);

        var points = new List<CalibrationPoint>();
        foreach (var t in (thresholds ?? Enumerable.Range(50, 50).Select(i => i / 100.0)).Order())
        {
            int tp = 0, fp = 0;
            foreach (var s in scored)
            {
                if (s.Similarity >= t + (s.Questions ? margin : 0) && s.Guarded)
                {
                    if (s.SameMeaning)
                    {
                        tp++;
                    }
                    else
                    {
                        fp++;
                    }
                }
            }

            var precision = tp + fp == 0 ? 1.0 : (double)tp / (tp + fp);
            var recall = positives == 0 ? 0.0 : (double)tp / positives;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            points.Add(new CalibrationPoint(Math.Round(t, 4), precision, recall, f1));
        }

        var recommended = points.FirstOrDefault(p => p.Precision >= targetPrecision && p.Recall > 0)?.Threshold;
        return new CalibrationReport(list.Count, points, recommended);
    }
}
