using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace TokenGovernor;

/// <summary>
/// Rejects semantic cache hits whose texts are close in wording but differ in meaning: a negation present in one and not the
/// other, different numbers or quoted values, different capitalised names, or one content word swapped for another
/// ("learn French" / "learn German", "cancel my order" / "cancel my subscription"), and in short requests (six content words
/// or fewer) any added, removed or reordered content word ("how long does express shipping take", "flights from Rome to Berlin").
/// </summary>
/// <remarks>Lexical embedders score such pairs as near-identical; the guard is what keeps their precision. It errs toward
/// rejecting: a paraphrase that swaps exactly one content word for a synonym is a miss, never a wrong answer. Thread-safe.</remarks>
public sealed partial class SemanticCacheGuard
{
    private static readonly FrozenSet<string> s_negations = new[]
    {
        "not", "no", "never", "none", "nothing", "nobody", "neither", "nor", "without", "cannot", "cant", "dont", "doesnt", "didnt",
        "isnt", "arent", "wasnt", "werent", "wont", "wouldnt", "shouldnt", "couldnt", "hasnt", "havent", "hadnt", "mustnt", "except", "unless",
    }.ToFrozenSet(StringComparer.Ordinal);

    // Requests with at most this many content words are "short": every content word matters.
    private const int ShortText = 6;

    private static readonly FrozenSet<string> s_contractions = new[]
    {
        "whats", "hows", "wheres", "whos", "whens", "whys", "thats", "theres", "heres", "im", "ive", "youre", "youve", "theyre",
        "lets", "id", "ill", "itll", "itd", "youll", "weve", "were",
    }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Gets a guard with every check on.</summary>
    public static SemanticCacheGuard Default { get; } = new();

    /// <summary>Gets or sets a value indicating whether a negation in only one text rejects the hit.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool CheckNegation { get; init; } = true;

    /// <summary>Gets or sets a value indicating whether different numbers, quoted values or capitalised names reject the hit.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool CheckValues { get; init; } = true;

    /// <summary>Gets or sets a value indicating whether one content word swapped for another rejects the hit.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool CheckSubstitution { get; init; } = true;

    /// <summary>Decides whether a cached answer to <paramref name="cached"/> may answer <paramref name="query"/>.</summary>
    /// <param name="query">The new request's text.</param>
    /// <param name="cached">The text the cached answer was given for.</param>
    /// <param name="reason">Why the hit was rejected: <c>negation</c>, <c>values</c> or <c>substitution</c>.</param>
    /// <returns><see langword="true"/> when the hit may be served.</returns>
    public bool Accepts(string query, string cached, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(cached);
        reason = null;
        if (string.Equals(query, cached, StringComparison.Ordinal))
        {
            return true;
        }

        var a = Words(query);
        var b = Words(cached);
        if (CheckNegation && CountNegations(a) % 2 != CountNegations(b) % 2)
        {
            reason = "negation";
            return false;
        }

        if (CheckValues && (!SameSet(Values(query), Values(cached)) || !Contains(b, Names(query)) || !Contains(a, Names(cached))))
        {
            reason = "values";
            return false;
        }

        if (CheckSubstitution)
        {
            // Multisets, so a word that still occurs elsewhere in the text ("main version … main version") is not missed.
            var contentA = Content(a);
            var contentB = Content(b);
            var (onlyA, wordA) = Difference(contentA, contentB);
            var (onlyB, wordB) = Difference(contentB, contentA);
            var shortTexts = Math.Max(contentA.Values.Sum(), contentB.Values.Sum()) <= ShortText;
            if (Shared(contentA, contentB) &&
                ((onlyA == 1 && onlyB == 1 && !Related(wordA!, wordB!)) || (shortTexts && onlyA + onlyB >= 1)))
            {
                reason = "substitution";
                return false;
            }

            // In a short request the order of the same content words carries meaning ("from Berlin to Rome" / "from Rome to Berlin").
            if (shortTexts && onlyA == 0 && onlyB == 0 && !ContentSequence(a).SequenceEqual(ContentSequence(b)))
            {
                reason = "order";
                return false;
            }
        }

        return true;
    }

    private static List<string> Words(string text)
    {
        var list = new List<string>();
        foreach (Match m in WordPattern().Matches(text.ToLowerInvariant()))
        {
            list.Add(m.Value.Replace("'", string.Empty, StringComparison.Ordinal).Replace("’", string.Empty, StringComparison.Ordinal));
        }

        return list;
    }

    private static int CountNegations(List<string> words) => words.Count(s_negations.Contains);

    private static Dictionary<string, int> Content(List<string> words)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var w in words)
        {
            if (IsContent(w))
            {
                var stem = Stem(w);
                counts[stem] = counts.GetValueOrDefault(stem) + 1;
            }
        }

        return counts;
    }

    /// <summary>How many word occurrences of <paramref name="a"/> are not matched in <paramref name="b"/>, and one such word.</summary>
    private static (int Count, string? Word) Difference(Dictionary<string, int> a, Dictionary<string, int> b)
    {
        var count = 0;
        string? word = null;
        foreach (var (w, n) in a)
        {
            var extra = n - b.GetValueOrDefault(w);
            if (extra > 0)
            {
                count += extra;
                word ??= w;
            }
        }

        return (count, word);
    }

    private static bool Shared(Dictionary<string, int> a, Dictionary<string, int> b) => a.Keys.Any(b.ContainsKey);

    private static bool IsContent(string word) =>
        !HashingEmbeddingGenerator.IsStopWord(word) && !s_negations.Contains(word) && !s_contractions.Contains(word);

    private static IEnumerable<string> ContentSequence(List<string> words) => words.Where(IsContent).Select(Stem);

    private static string Stem(string word) =>
        word.Length > 4 && word.EndsWith("ies", StringComparison.Ordinal) ? word[..^3] + "y" :
        word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) ? word[..^1] : word;

    // Two words that share a long prefix are forms of one word ("configure" / "configuration"), not a swap.
    private static bool Related(string a, string b)
    {
        var common = 0;
        while (common < a.Length && common < b.Length && a[common] == b[common])
        {
            common++;
        }

        return common >= 5 || (common >= 4 && Math.Min(a.Length, b.Length) <= 6);
    }

    private static HashSet<string> Values(string text)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in NumberPattern().Matches(text))
        {
            set.Add(m.Value.Replace(",", string.Empty, StringComparison.Ordinal));
        }

        foreach (Match m in QuotedPattern().Matches(text))
        {
            set.Add(m.Value.ToLowerInvariant());
        }

        return set;
    }

    // Capitalised words that do not start a sentence: names of places, products, people.
    private static HashSet<string> Names(string text)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in NamePattern().Matches(text))
        {
            var start = m.Index;
            var k = start - 1;
            while (k >= 0 && char.IsWhiteSpace(text[k]))
            {
                k--;
            }

            if (k < 0 || text[k] is '.' or '?' or '!' or ':' or '"' or '(' or '\n')
            {
                continue;
            }

            set.Add(m.Value.ToLowerInvariant());
        }

        return set;
    }

    private static bool SameSet(HashSet<string> a, HashSet<string> b) => a.SetEquals(b);

    // A name in one text must appear in the other, in any case ("France" / "france" is the same place; "Canada" / "Mexico" is not).
    private static bool Contains(List<string> words, HashSet<string> names) => names.All(n => words.Contains(n.Replace("'", string.Empty, StringComparison.Ordinal)));

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’][\p{L}]+)?", RegexOptions.CultureInvariant)]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"\d+(?:[.,]\d+)*", RegexOptions.CultureInvariant)]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"""[^""]{1,80}""|(?<![\p{L}\p{N}])'[^']{1,80}'(?![\p{L}\p{N}])|`[^`]{1,80}`", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedPattern();

    [GeneratedRegex(@"\b\p{Lu}[\p{L}\p{N}]+", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
