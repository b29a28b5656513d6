using System.Numerics.Tensors;

namespace TokenGovernor;

/// <summary>
/// The topics of a router's training requests: an ensemble of seeded spherical k-means clusterings of their words (TF-IDF,
/// cosine) and, when the router has an embedder, of their embeddings. A cluster learns the mean quality gain of its training
/// requests (<see cref="TopicGains"/>), and a request's topic prior is the average, over the ensemble, of the gains of the
/// clusters it falls in.
/// </summary>
/// <remarks>
/// Why: on MMLU routing labels most of the gap between a weak and a strong model is a property of the topic (a subject the
/// weak model cannot do), and a linear model over single words sees a topic only word by word. An ensemble of several cluster
/// counts and seeds averages away the arbitrariness of any one clustering. Clusters are found without labels; gains are
/// learned per fit, so held-out folds never see their own labels.
/// </remarks>
internal sealed class RouterTopics
{
    /// <summary>Cluster counts of the ensemble (each with <see cref="SeedsPerCount"/> seeds), capped by the training rows.</summary>
    internal static readonly int[] ClusterCounts = [6, 8, 10, 12, 15];

    /// <summary>Seeds per cluster count.</summary>
    internal const int SeedsPerCount = 3;

    /// <summary>The fewest training requests per cluster a cluster count may leave on average.</summary>
    internal const int MinRowsPerCluster = 20;

    /// <summary>How many of a word centroid's heaviest terms are kept (the rest are dropped, then the centroid is renormalised).</summary>
    internal const int TermsPerCentroid = 300;

    private const int MaxIterations = 30;

    private readonly WordClustering[] _words;
    private readonly EmbeddingClustering[] _embeddings;
    private readonly Dictionary<uint, Posting[]> _postings;
    private readonly int _wordClusterTotal;

    public RouterTopics(WordClustering[] words, EmbeddingClustering[] embeddings)
    {
        _words = words;
        _embeddings = embeddings;
        var postings = new Dictionary<uint, List<Posting>>();
        var offset = 0;
        foreach (var clustering in words)
        {
            for (var k = 0; k < clustering.Terms.Length; k++)
            {
                var term = clustering.Terms[k];
                if (!postings.TryGetValue(term, out var list))
                {
                    postings[term] = list = [];
                }

                list.Add(new Posting(offset + clustering.Clusters[k], clustering.Weights[k]));
            }

            offset += clustering.Count;
        }

        _wordClusterTotal = offset;
        _postings = postings.ToDictionary(p => p.Key, p => p.Value.ToArray());
    }

    /// <summary>Gets the word clusterings.</summary>
    public IReadOnlyList<WordClustering> Words => _words;

    /// <summary>Gets the embedding clusterings.</summary>
    public IReadOnlyList<EmbeddingClustering> Embeddings => _embeddings;

    /// <summary>Gets the number of clusterings in the ensemble.</summary>
    public int Clusterings => _words.Length + _embeddings.Length;

    /// <summary>Gets the embedding dimensions the embedding clusterings expect (0 when there are none).</summary>
    public int EmbeddingDimensions => _embeddings.Length == 0 ? 0 : _embeddings[0].Centroids.Length / _embeddings[0].Count;

    /// <summary>The cluster count of clustering <paramref name="clustering"/>.</summary>
    public int ClusterCount(int clustering) => clustering < _words.Length ? _words[clustering].Count : _embeddings[clustering - _words.Length].Count;

    /// <summary>
    /// Finds the topics of training requests. Deterministic for a seed: each clustering has its own seeded random source and
    /// its own slot in the result, whatever order the threads run in.
    /// </summary>
    /// <param name="texts">The requests' texts (the text the router reads).</param>
    /// <param name="embeddings">The requests' embeddings, or <see langword="null"/>.</param>
    /// <param name="seed">The seed.</param>
    /// <param name="cancellationToken">Cancels the fit.</param>
    /// <returns>The topics, or <see langword="null"/> when there are too few requests to cluster.</returns>
    public static RouterTopics? Fit(IReadOnlyList<string> texts, IReadOnlyList<float[]>? embeddings, int seed, CancellationToken cancellationToken)
    {
        var counts = ClusterCounts.Select(k => Math.Min(k, texts.Count / MinRowsPerCluster)).Where(k => k >= 2).ToArray();
        if (counts.Length == 0)
        {
            return null;
        }

        var jobs = counts.SelectMany(k => Enumerable.Range(0, SeedsPerCount).Select(s => (K: k, Seed: unchecked(seed + (7919 * ((k * SeedsPerCount) + s)))))).ToArray();
        var corpus = WordCorpus.Build(texts);
        var words = new WordClustering[corpus.Rows.Length == 0 ? 0 : jobs.Length];
        var dense = embeddings is { Count: > 0 } e && e[0].Length > 0 ? Normalised(e) : null;
        var vectors = new EmbeddingClustering[dense is null ? 0 : jobs.Length];
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = Environment.ProcessorCount };
        Parallel.For(0, words.Length + vectors.Length, options, j =>
        {
            if (j < words.Length)
            {
                words[j] = corpus.Cluster(jobs[j].K, new Random(jobs[j].Seed));
            }
            else
            {
                var job = jobs[j - words.Length];
                vectors[j - words.Length] = ClusterDense(dense!, job.K, new Random(job.Seed));
            }
        });

        return words.Length + vectors.Length == 0 ? null : new RouterTopics(words, vectors);
    }

    /// <summary>The cluster of one request in each clustering (word clusterings first), -1 where it shares no term with any.</summary>
    /// <param name="text">The text the router reads.</param>
    /// <param name="embedding">The request's embedding (empty when the topics have no embedding clusterings).</param>
    /// <returns>One cluster index per clustering.</returns>
    public int[] Assign(string text, ReadOnlySpan<float> embedding)
    {
        var result = new int[Clusterings];
        if (_words.Length > 0)
        {
            var scores = new float[_wordClusterTotal];
            foreach (var (term, count) in WordCorpus.TermCounts(text))
            {
                if (_postings.TryGetValue(term, out var postings))
                {
                    var tf = (float)(1 + Math.Log(count));
                    foreach (var p in postings)
                    {
                        scores[p.Cluster] += tf * p.Weight;
                    }
                }
            }

            var offset = 0;
            for (var c = 0; c < _words.Length; c++)
            {
                result[c] = ArgMaxPositive(scores.AsSpan(offset, _words[c].Count));
                offset += _words[c].Count;
            }
        }

        if (_embeddings.Length > 0)
        {
            var dims = EmbeddingDimensions;
            if (embedding.Length != dims)
            {
                throw new InvalidOperationException($"The router's topics expect {dims}-dimensional embeddings but the embedder returned {embedding.Length}; use the embedder the router was trained with.");
            }

            for (var c = 0; c < _embeddings.Length; c++)
            {
                var clustering = _embeddings[c];
                var best = -1;
                var bestScore = float.NegativeInfinity;
                for (var k = 0; k < clustering.Count; k++)
                {
                    var s = TensorPrimitives.Dot(embedding, clustering.Centroids.AsSpan(k * dims, dims));
                    if (s > bestScore)
                    {
                        bestScore = s;
                        best = k;
                    }
                }

                result[_words.Length + c] = best;
            }
        }

        return result;
    }

    private static int ArgMaxPositive(ReadOnlySpan<float> scores)
    {
        var best = -1;
        var bestScore = 0f;
        for (var k = 0; k < scores.Length; k++)
        {
            if (scores[k] > bestScore)
            {
                bestScore = scores[k];
                best = k;
            }
        }

        return best;
    }

    private static float[][] Normalised(IReadOnlyList<float[]> vectors)
    {
        var result = new float[vectors.Count][];
        for (var i = 0; i < vectors.Count; i++)
        {
            result[i] = [.. vectors[i]];
            var norm = TensorPrimitives.Norm(result[i]);
            if (norm > 0)
            {
                TensorPrimitives.Divide(result[i], norm, result[i]);
            }
        }

        return result;
    }

    /// <summary>Spherical k-means over unit vectors: k-means++ seeding, then Lloyd steps until no request moves.</summary>
    private static EmbeddingClustering ClusterDense(float[][] rows, int k, Random random)
    {
        var dims = rows[0].Length;
        var centroids = new float[k * dims];
        var similarity = (int row, int cluster) => TensorPrimitives.Dot(rows[row], centroids.AsSpan(cluster * dims, dims));
        KMeans.Run(rows.Length, k, random, similarity,
            (cluster, row) => rows[row].CopyTo(centroids.AsSpan(cluster * dims, dims)),
            (cluster, members) =>
            {
                var c = centroids.AsSpan(cluster * dims, dims);
                c.Clear();
                foreach (var m in members)
                {
                    TensorPrimitives.Add(c, rows[m], c);
                }

                var norm = TensorPrimitives.Norm(c);
                if (norm > 0)
                {
                    TensorPrimitives.Divide(c, norm, c);
                }
            },
            MaxIterations);
        return new EmbeddingClustering(k, centroids);
    }

    /// <summary>One word clustering: <see cref="Count"/> clusters, each a sparse centroid given as parallel arrays of term hash,
    /// cluster and weight (the centroid's TF-IDF weight times the term's IDF, so a request's raw term frequencies score it).</summary>
    internal sealed record WordClustering(int Count, uint[] Terms, int[] Clusters, float[] Weights);

    /// <summary>One embedding clustering: <see cref="Count"/> unit centroids, row-major.</summary>
    internal sealed record EmbeddingClustering(int Count, float[] Centroids);

    private readonly record struct Posting(int Cluster, float Weight);

    /// <summary>The training requests as L2-normalised TF-IDF rows over the terms found in at least two of them.</summary>
    private sealed class WordCorpus
    {
        private WordCorpus(uint[] vocabulary, float[] idf, (int[] Terms, float[] Values)[] rows)
        {
            Vocabulary = vocabulary;
            Idf = idf;
            Rows = rows;
        }

        public uint[] Vocabulary { get; }

        public float[] Idf { get; }

        /// <summary>Rows with at least one vocabulary term (the others are never clustered).</summary>
        public (int[] Terms, float[] Values)[] Rows { get; }

        public static IEnumerable<KeyValuePair<uint, int>> TermCounts(string text)
        {
            var counts = new Dictionary<uint, int>();
            RouterFeatures.ForEachWord(text, h => counts[h] = counts.GetValueOrDefault(h) + 1);
            return counts.OrderBy(c => c.Key);
        }

        public static WordCorpus Build(IReadOnlyList<string> texts)
        {
            var perRow = texts.Select(t => TermCounts(t).ToArray()).ToArray();
            var df = new Dictionary<uint, int>();
            foreach (var row in perRow)
            {
                foreach (var (term, _) in row)
                {
                    df[term] = df.GetValueOrDefault(term) + 1;
                }
            }

            var vocabulary = df.Where(d => d.Value >= 2).Select(d => d.Key).Order().ToArray();
            var index = new Dictionary<uint, int>(vocabulary.Length);
            var idf = new float[vocabulary.Length];
            for (var v = 0; v < vocabulary.Length; v++)
            {
                index[vocabulary[v]] = v;
                idf[v] = (float)(Math.Log((1.0 + texts.Count) / (1.0 + df[vocabulary[v]])) + 1);
            }

            var rows = new List<(int[], float[])>(perRow.Length);
            foreach (var row in perRow)
            {
                var terms = new List<int>();
                var values = new List<float>();
                var norm = 0.0;
                foreach (var (term, count) in row)
                {
                    if (index.TryGetValue(term, out var v))
                    {
                        var value = (float)(1 + Math.Log(count)) * idf[v];
                        terms.Add(v);
                        values.Add(value);
                        norm += value * value;
                    }
                }

                if (terms.Count == 0)
                {
                    continue;
                }

                var scale = (float)(1 / Math.Sqrt(norm));
                rows.Add(([.. terms], [.. values.Select(x => x * scale)]));
            }

            return new WordCorpus(vocabulary, idf, [.. rows]);
        }

        public WordClustering Cluster(int k, Random random)
        {
            var dims = Vocabulary.Length;
            var centroids = new float[k][];
            for (var c = 0; c < k; c++)
            {
                centroids[c] = new float[dims];
            }

            KMeans.Run(Rows.Length, Math.Min(k, Rows.Length), random, (row, cluster) => Dot(Rows[row], centroids[cluster]),
                (cluster, row) =>
                {
                    Array.Clear(centroids[cluster]);
                    var (terms, values) = Rows[row];
                    for (var j = 0; j < terms.Length; j++)
                    {
                        centroids[cluster][terms[j]] = values[j];
                    }
                },
                (cluster, members) =>
                {
                    var c = centroids[cluster];
                    Array.Clear(c);
                    foreach (var m in members)
                    {
                        var (terms, values) = Rows[m];
                        for (var j = 0; j < terms.Length; j++)
                        {
                            c[terms[j]] += values[j];
                        }
                    }

                    var norm = TensorPrimitives.Norm(c);
                    if (norm > 0)
                    {
                        TensorPrimitives.Divide(c, norm, c);
                    }
                },
                MaxIterations);

            // Keep each centroid's heaviest terms, renormalised, and fold the IDF in.
            var outTerms = new List<uint>();
            var outClusters = new List<int>();
            var outWeights = new List<float>();
            for (var c = 0; c < k; c++)
            {
                var top = Enumerable.Range(0, dims).Where(v => centroids[c][v] > 0)
                    .OrderByDescending(v => centroids[c][v]).ThenBy(v => v).Take(TermsPerCentroid).Order().ToArray();
                var norm = Math.Sqrt(top.Sum(v => (double)centroids[c][v] * centroids[c][v]));
                foreach (var v in top)
                {
                    outTerms.Add(Vocabulary[v]);
                    outClusters.Add(c);
                    outWeights.Add((float)(centroids[c][v] / norm * Idf[v]));
                }
            }

            return new WordClustering(k, [.. outTerms], [.. outClusters], [.. outWeights]);
        }

        private static float Dot((int[] Terms, float[] Values) row, float[] centroid)
        {
            var sum = 0f;
            for (var j = 0; j < row.Terms.Length; j++)
            {
                sum += row.Values[j] * centroid[row.Terms[j]];
            }

            return sum;
        }
    }

    /// <summary>Spherical k-means over any row representation, given similarity, seeding and centroid update.</summary>
    private static class KMeans
    {
        public static void Run(int n, int k, Random random, Func<int, int, float> similarity, Action<int, int> seedFromRow,
            Action<int, List<int>> update, int maxIterations)
        {
            // k-means++: each next seed is a row drawn with probability proportional to its squared distance to the nearest seed.
            var nearest = new double[n];
            Array.Fill(nearest, double.NegativeInfinity);
            seedFromRow(0, random.Next(n));
            for (var c = 0; c < k; c++)
            {
                if (c > 0)
                {
                    var total = 0.0;
                    for (var i = 0; i < n; i++)
                    {
                        total += Distance(nearest[i]);
                    }

                    var pick = random.NextDouble() * total;
                    var chosen = n - 1;
                    for (var i = 0; i < n; i++)
                    {
                        pick -= Distance(nearest[i]);
                        if (pick <= 0)
                        {
                            chosen = i;
                            break;
                        }
                    }

                    seedFromRow(c, chosen);
                }

                for (var i = 0; i < n; i++)
                {
                    nearest[i] = Math.Max(nearest[i], similarity(i, c));
                }
            }

            var assignment = new int[n];
            Array.Fill(assignment, -1);
            var members = new List<int>[k];
            for (var iteration = 0; iteration < maxIterations; iteration++)
            {
                var moved = 0;
                for (var i = 0; i < n; i++)
                {
                    var best = 0;
                    var bestScore = float.NegativeInfinity;
                    for (var c = 0; c < k; c++)
                    {
                        var s = similarity(i, c);
                        if (s > bestScore)
                        {
                            bestScore = s;
                            best = c;
                        }
                    }

                    moved += assignment[i] == best ? 0 : 1;
                    assignment[i] = best;
                }

                if (moved == 0)
                {
                    break;
                }

                for (var c = 0; c < k; c++)
                {
                    members[c] = [];
                }

                for (var i = 0; i < n; i++)
                {
                    members[assignment[i]].Add(i);
                }

                for (var c = 0; c < k; c++)
                {
                    if (members[c].Count == 0)
                    {
                        seedFromRow(c, random.Next(n)); // an emptied cluster restarts from a random row
                    }
                    else
                    {
                        update(c, members[c]);
                    }
                }
            }
        }

        private static double Distance(double similarity) =>
            double.IsNegativeInfinity(similarity) ? 4 : Math.Max(0, 2 - (2 * similarity));
    }
}
