using System.Buffers;
using System.Collections.Frozen;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// A deterministic, offline embedder for the semantic cache: lower-cased word unigrams and bigrams plus character trigrams,
/// each hashed with a sign into a fixed number of dimensions (the "hashing trick"), then L2-normalised.
/// </summary>
/// <remarks>
/// <para>It is <b>lexical, not neural</b>: texts are similar when they share words and word pieces, not when they mean the
/// same thing in different words. It scores "how do I learn French" and "how do I learn German" as near-identical, which
/// is why the semantic cache also applies its guard and partitions. A neural embedder (any M.E.AI
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, for example OpenAI or Ollama embeddings) raises recall on
/// paraphrases; see <c>docs/Caching.md</c> for measured precision and recall.</para>
/// <para>No model, no download, no network; the same text always gives the same vector. Thread-safe.</para>
/// </remarks>
public sealed class HashingEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private const float WordWeight = 1.0f;
    private const float StopWordWeight = 0.25f;
    private const float BigramWeight = 0.6f;
    private const float TrigramWeight = 0.35f;

    private static readonly FrozenSet<string> s_stopWords = new[]
    {
        "a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "of", "to", "in", "on", "at", "for",
        "with", "by", "from", "and", "or", "it", "its", "this", "that", "these", "those", "i", "you", "we", "they", "he", "she",
        "my", "your", "our", "their", "me", "us", "can", "could", "would", "should", "will", "shall", "may", "might", "what",
        "how", "which", "who", "whom", "as", "so", "if", "about", "into", "there", "here", "please", "s",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> s_stopWordSpans = s_stopWords.GetAlternateLookup<ReadOnlySpan<char>>();

    private readonly EmbeddingGeneratorMetadata _metadata;
    private ModelPrice? _price;

    /// <summary>Initializes a new embedder.</summary>
    /// <param name="dimensions">The vector dimension.</param>
    public HashingEmbeddingGenerator(int dimensions = 384)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 16);
        Dimensions = dimensions;
        _metadata = new EmbeddingGeneratorMetadata("tokengovernor-hashing", defaultModelId: "hashing-ngram-v1", defaultModelDimensions: dimensions);
    }

    /// <summary>Gets the vector dimension.</summary>
    public int Dimensions { get; }

    /// <summary>Gets whether <paramref name="word"/> (lower case) is a function word that carries little meaning.</summary>
    /// <param name="word">The word.</param>
    /// <returns><see langword="true"/> for stop words.</returns>
    public static bool IsStopWord(string word) => s_stopWords.Contains(word);

    /// <summary>Embeds one text into <paramref name="destination"/> without allocating an <see cref="Embedding{T}"/>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="destination">Receives <see cref="Dimensions"/> values, L2-normalised (all zero for text with no letters or digits).</param>
    public void Embed(string text, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (destination.Length != Dimensions)
        {
            throw new ArgumentException($"The destination has {destination.Length} values; this embedder produces {Dimensions}.", nameof(destination));
        }

        destination.Clear();
        var buffer = ArrayPool<char>.Shared.Rent(text.Length + 2);
        try
        {
            var lower = buffer.AsSpan(0, text.Length);
            text.AsSpan().ToLowerInvariant(lower);
            ReadOnlySpan<char> previous = default;
            var previousWasStop = true;
            var i = 0;
            while (i < lower.Length)
            {
                while (i < lower.Length && !char.IsLetterOrDigit(lower[i]))
                {
                    i++;
                }

                var start = i;
                while (i < lower.Length && (char.IsLetterOrDigit(lower[i]) || (lower[i] == '\'' && i + 1 < lower.Length && char.IsLetter(lower[i + 1]))))
                {
                    i++;
                }

                if (i == start)
                {
                    break;
                }

                var word = lower[start..i];
                var isStop = s_stopWordSpans.Contains(word);
                Add(destination, word, 1, isStop ? StopWordWeight : WordWeight);
                if (!previous.IsEmpty)
                {
                    AddBigram(destination, previous, word, previousWasStop && isStop ? StopWordWeight * BigramWeight : BigramWeight);
                }

                if (!isStop)
                {
                    AddTrigrams(destination, word);
                }

                previous = word;
                previousWasStop = isStop;
            }
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }

        var norm = System.Numerics.Tensors.TensorPrimitives.Norm(destination);
        if (norm > 0)
        {
            System.Numerics.Tensors.TensorPrimitives.Divide(destination, norm, destination);
        }
    }

    /// <inheritdoc />
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var value in values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var vector = new float[Dimensions];
            Embed(value, vector);
            result.Add(new Embedding<float>(vector) { ModelId = _metadata.DefaultModelId });
        }

        return Task.FromResult(result);
    }

    /// <inheritdoc />
    /// <remarks>Besides the metadata and the cache's defaults, it returns a zero <see cref="ModelPrice"/>: it runs in-process and
    /// costs nothing, so the semantic cache does not meter it.</remarks>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null :
            serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata :
            serviceType == typeof(SemanticCacheDefaults) ? SemanticCacheDefaults.Lexical :
            serviceType == typeof(ModelPrice) ? (_price ??= new ModelPrice(_metadata.DefaultModelId!, 0m, 0m) { Provider = _metadata.ProviderName }) :
            serviceType.IsInstanceOfType(this) ? this : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private void Add(Span<float> v, ReadOnlySpan<char> feature, long seed, float weight)
    {
        var h = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(feature), seed);
        v[(int)(h % (ulong)v.Length)] += (h >> 63) == 0 ? weight : -weight;
    }

    private void AddBigram(Span<float> v, ReadOnlySpan<char> first, ReadOnlySpan<char> second, float weight)
    {
        var h1 = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(first), 2);
        var h = XxHash3.HashToUInt64(MemoryMarshal.AsBytes(second), (long)h1);
        v[(int)(h % (ulong)v.Length)] += (h >> 63) == 0 ? weight : -weight;
    }

    private void AddTrigrams(Span<float> v, ReadOnlySpan<char> word)
    {
        Span<char> padded = word.Length <= 62 ? stackalloc char[word.Length + 2] : new char[word.Length + 2];
        padded[0] = '#';
        word.CopyTo(padded[1..]);
        padded[^1] = '#';
        var count = padded.Length - 2;
        var weight = TrigramWeight / MathF.Sqrt(count);
        for (var i = 0; i < count; i++)
        {
            Add(v, padded.Slice(i, 3), 3, weight);
        }
    }
}
