using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// The inputs a <see cref="LearnedRouter"/> reads from a request: hashed lower-cased words and word pairs (sparse, L2-normalised),
/// rule signals that carry across topics (the default classifier's score and signals, length, digits, symbols, answer options),
/// and optionally a sentence embedding. Stable across processes and platforms: hashes are FNV-1a, never <c>string.GetHashCode</c>.
/// </summary>
internal sealed class RouterFeatures
{
    /// <summary>The number of rule features.</summary>
    public const int RuleCount = 16;

    private static readonly RuleBasedComplexityClassifier s_rules = new();

    public RouterFeatures(int hashBits, int embeddingDimensions)
    {
        HashBits = hashBits;
        EmbeddingDimensions = embeddingDimensions;
    }

    public int HashBits { get; }

    public int HashDimensions => 1 << HashBits;

    public int EmbeddingDimensions { get; }

    public int DenseCount => RuleCount + EmbeddingDimensions;

    /// <summary>The text the router reads: the last user turn (else the last message).</summary>
    public static string TextOf(IReadOnlyList<ChatMessage> messages)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == ChatRole.User)
            {
                return messages[i].Text;
            }
        }

        return messages.Count > 0 ? messages[^1].Text : string.Empty;
    }

    /// <summary>Extracts one request's features (dense values are raw; the model standardises them).</summary>
    public FeatureRow Extract(IReadOnlyList<ChatMessage> messages, ReadOnlySpan<float> embedding)
    {
        var text = TextOf(messages);
        var dense = new float[DenseCount];
        Rules(messages, text, dense);
        if (EmbeddingDimensions > 0)
        {
            if (embedding.Length != EmbeddingDimensions)
            {
                throw new InvalidOperationException($"The router expects {EmbeddingDimensions}-dimensional embeddings but the embedder returned {embedding.Length}; use the embedder the router was trained with.");
            }

            embedding.CopyTo(dense.AsSpan(RuleCount));
        }

        var (indices, values) = Hashed(text);
        return new FeatureRow(indices, values, dense);
    }

    private (int[] Indices, float[] Values) Hashed(string text)
    {
        var mask = HashDimensions - 1;
        var counts = new Dictionary<int, int>();
        uint previous = 0;
        var havePrevious = false;
        ForEachWord(text, h =>
        {
            Add(counts, (int)(Mix(h) & (uint)mask));
            if (havePrevious)
            {
                Add(counts, (int)(Mix((previous * 31u) ^ h ^ 0x5bd1e995u) & (uint)mask));
            }

            previous = h;
            havePrevious = true;
        });

        var indices = new int[counts.Count];
        var values = new float[counts.Count];
        var norm = 0.0;
        var k = 0;
        foreach (var (index, count) in counts.OrderBy(c => c.Key))
        {
            indices[k] = index;
            values[k] = (float)(1 + Math.Log(count));
            norm += values[k] * values[k];
            k++;
        }

        if (norm > 0)
        {
            var scale = (float)(1 / Math.Sqrt(norm));
            for (var j = 0; j < values.Length; j++)
            {
                values[j] *= scale;
            }
        }

        return (indices, values);
    }

    /// <summary>Calls <paramref name="word"/> with the FNV-1a hash of each lower-cased run of letters and digits, in order.</summary>
    public static void ForEachWord(string text, Action<uint> word)
    {
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && !char.IsLetterOrDigit(text[i]))
            {
                i++;
            }

            if (i >= text.Length)
            {
                break;
            }

            var h = 2166136261u;
            while (i < text.Length && char.IsLetterOrDigit(text[i]))
            {
                h = (h ^ char.ToLowerInvariant(text[i])) * 16777619u;
                i++;
            }

            word(h);
        }
    }

    private static void Add(Dictionary<int, int> counts, int index) => counts[index] = counts.GetValueOrDefault(index) + 1;

    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x7feb352du;
        h ^= h >> 15;
        h *= 0x846ca68bu;
        return h ^ (h >> 16);
    }

    private static void Rules(IReadOnlyList<ChatMessage> messages, string text, Span<float> dense)
    {
        var assessment = s_rules.Classify(messages as IList<ChatMessage> ?? [.. messages], null, 2);
        int digits = 0, upper = 0, symbols = 0, letters = 0, lines = 1, questions = 0, words = 0, numbers = 0, longWords = 0, wordChars = 0;
        var inWord = false;
        var wordHasLetter = false;
        var wordLength = 0;
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                if (!inWord)
                {
                    inWord = true;
                    wordHasLetter = false;
                    wordLength = 0;
                    words++;
                }

                wordLength++;
                wordChars++;
                if (char.IsDigit(c))
                {
                    digits++;
                }
                else
                {
                    letters++;
                    wordHasLetter = true;
                    upper += char.IsUpper(c) ? 1 : 0;
                }

                continue;
            }

            if (inWord)
            {
                numbers += wordHasLetter ? 0 : 1;
                longWords += wordLength >= 9 ? 1 : 0;
                inWord = false;
            }

            switch (c)
            {
                case '\n': lines++; break;
                case '?': questions++; break;
                case '=' or '+' or '*' or '/' or '^' or '<' or '>' or '(' or ')' or '[' or ']' or '{' or '}' or '|' or '$' or '\\' or '%': symbols++; break;
                default: break;
            }
        }

        if (inWord)
        {
            numbers += wordHasLetter ? 0 : 1;
            longWords += wordLength >= 9 ? 1 : 0;
        }

        var length = Math.Max(1, text.Length);
        var w = Math.Max(1, words);
        dense[0] = (float)assessment.Score;
        dense[1] = (float)Math.Log(1 + text.Length);
        dense[2] = (float)Math.Log(1 + words);
        dense[3] = (float)digits / length;
        dense[4] = (float)symbols / length;
        dense[5] = letters == 0 ? 0 : (float)upper / letters;
        dense[6] = (float)Math.Log(lines);
        dense[7] = (float)wordChars / w;
        dense[8] = (float)Math.Log(1 + questions);
        dense[9] = (float)numbers / w;
        dense[10] = (float)longWords / w;
        dense[11] = Has(assessment, "code");
        dense[12] = Has(assessment, "math");
        dense[13] = Has(assessment, "multi-step");
        dense[14] = Has(assessment, "reasoning");
        dense[15] = Has(assessment, "task");
    }

    private static float Has(ComplexityAssessment assessment, string signal)
    {
        foreach (var s in assessment.Signals)
        {
            if (string.Equals(s, signal, StringComparison.Ordinal))
            {
                return 1;
            }
        }

        return 0;
    }
}

/// <summary>One request's features: sparse hashed n-grams (sorted indices) and dense values.</summary>
internal readonly record struct FeatureRow(int[] Indices, float[] Values, float[] Dense);
