using System.Collections.Frozen;
using System.Globalization;
using System.Text.RegularExpressions;

namespace TokenGovernor;

/// <summary>
/// Rejects semantic cache hits whose texts are close in wording but differ in meaning: a negation present in one and not the
/// other, different numbers or quoted values, different capitalised names, or one content word swapped for another
/// ("learn French" / "learn German", "cancel my order" / "cancel my subscription"), and in short requests (six content words
/// or fewer) any added, removed or reordered content word ("how long does express shipping take", "flights from Rome to Berlin").
/// </summary>
/// <remarks>
/// <para>Lexical embedders score such pairs as near-identical; the guard is what keeps their precision. It errs toward
/// rejecting: a paraphrase that swaps exactly one content word for a synonym is a miss, never a wrong answer.</para>
/// <para>A neural embedder already scores a swapped word by what it means, and the word-swap rules would reject its best
/// paraphrases; <see cref="Meaning"/> is the guard for such embedders: no word-swap rules, only the differences a meaning-based
/// score misses (negation, numbers, dates, quoted values, names, the kind of question asked). Thread-safe.</para>
/// </remarks>
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

    private static readonly FrozenSet<string> s_dateWords = new[]
    {
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "april", "june", "july",
        "august", "september", "october", "november", "december", "yesterday", "tomorrow", "tonight",
    }.ToFrozenSet(StringComparer.Ordinal);

    // Every quoted value QuotedPattern matches starts with one of these.
    private static readonly System.Buffers.SearchValues<char> s_quoteMarks = System.Buffers.SearchValues.Create("\"'`");

    // Prefixes that turn a word into its opposite ("advantages" / "disadvantages", "legal" / "illegal").
    private static readonly string[] s_negatingPrefixes = ["dis", "un", "non", "in", "im", "il", "ir", "anti", "mis"];

    private static readonly FrozenSet<string> s_auxiliaries = new[]
    {
        "is", "are", "was", "were", "am", "do", "does", "did", "can", "could", "should", "would", "will", "shall", "may", "might", "must",
        "has", "have", "had", "isnt", "arent", "wasnt", "werent", "doesnt", "dont", "didnt", "cant", "couldnt", "shouldnt", "wouldnt", "wont",
    }.ToFrozenSet(StringComparer.Ordinal);

    private static readonly FrozenSet<string> s_leadIns = new[] { "so", "and", "but", "also", "then", "ok", "okay", "hey", "well", "now", "please", "really", "actually" }
        .ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Gets the guard for lexical embedders (<see cref="HashingEmbeddingGenerator"/>): every check on, including the word-swap rules.</summary>
    public static SemanticCacheGuard Default { get; } = new();

    /// <summary>
    /// Gets the guard for neural (meaning-based) embedders such as all-MiniLM-L6-v2: it rejects a hit when a negation is in one
    /// text only (also a negating prefix: "advantages" / "disadvantages"), when numbers, dates, quoted values or names were
    /// changed (each text has one the other lacks; a detail present in one text only is left to the similarity score), or when
    /// the two ask different kinds of question ("why …?" / "how …?", "is …?" / "where …?"). It has no word-swap rules.
    /// </summary>
    public static SemanticCacheGuard Meaning { get; } = new()
    {
        CheckSubstitution = false,
        CheckNegatingPrefixes = true,
        CheckDates = true,
        CheckQuestionType = true,
        RejectAddedValues = false,
    };

    /// <summary>Gets or sets a value indicating whether a negation in only one text rejects the hit.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool CheckNegation { get; init; } = true;

    /// <summary>Gets or sets a value indicating whether different numbers, quoted values or capitalised names reject the hit.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool CheckValues { get; init; } = true;

    /// <summary>Gets or sets a value indicating whether one content word swapped for another rejects the hit.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool CheckSubstitution { get; init; } = true;

    /// <summary>Gets or sets a value indicating whether a word in one text and the same word with a negating prefix in the other
    /// (<c>dis-</c>, <c>un-</c>, <c>non-</c>, <c>in-</c>/<c>im-</c>/<c>il-</c>/<c>ir-</c>, <c>anti-</c>, <c>mis-</c>) reject the hit, like a negation.</summary>
    /// <value>Defaults to <see langword="false"/>; on in <see cref="Meaning"/>.</value>
    public bool CheckNegatingPrefixes { get; init; }

    /// <summary>Gets or sets a value indicating whether names of weekdays and months (and yesterday / tomorrow / tonight) count as
    /// values that must agree.</summary>
    /// <value>Defaults to <see langword="false"/>; on in <see cref="Meaning"/>.</value>
    public bool CheckDates { get; init; }

    /// <summary>Gets or sets a value indicating whether two questions of different kinds reject the hit: reason (<c>why</c>),
    /// place (<c>where</c>), time (<c>when</c>), person (<c>who</c>), amount (<c>how much</c>, <c>how many</c>, <c>how long</c>, …),
    /// yes/no (starting with a verb such as <c>is</c>, <c>can</c>, <c>should</c>), and open (<c>what</c>, <c>which</c>, <c>how</c>).
    /// Compared only when both texts contain a question.</summary>
    /// <value>Defaults to <see langword="false"/>; on in <see cref="Meaning"/>.</value>
    public bool CheckQuestionType { get; init; }

    /// <summary>Gets or sets a value indicating whether a number, quoted value, date or name present in one text only rejects the
    /// hit. When <see langword="false"/>, only a changed value rejects it (each text has one the other lacks).</summary>
    /// <value>Defaults to <see langword="true"/>; <see langword="false"/> in <see cref="Meaning"/>.</value>
    public bool RejectAddedValues { get; init; } = true;

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

        if (CheckNegatingPrefixes && NegatedByPrefix(a, b))
        {
            reason = "negation";
            return false;
        }

        if (CheckValues && !ValuesAgree(query, cached, a, b))
        {
            reason = "values";
            return false;
        }

        if (CheckQuestionType && QuestionKinds(query) is { Count: > 0 } kindsA && QuestionKinds(cached) is { Count: > 0 } kindsB && !kindsA.SetEquals(kindsB))
        {
            reason = "question";
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

    /// <summary>Whether a text asks a question: it has a question mark or starts with a question word or an auxiliary verb.</summary>
    internal static bool IsQuestion(string text)
    {
        if (text.Contains('?', StringComparison.Ordinal))
        {
            return true;
        }

        var lower = text.ToLowerInvariant();
        var start = 0;
        if (!NextWord(lower, ref start, out var at, out var length, withApostrophe: true))
        {
            return false;
        }

        var first = lower.Substring(at, length);
        return first is "what" or "why" or "how" or "where" or "when" or "who" or "whom" or "whose" or "which" || s_auxiliaries.Contains(first);
    }

    /// <summary>The cache's similarity test: at or above the threshold, plus the question margin when both texts are questions.</summary>
    internal static bool ClearsThreshold(double similarity, double threshold, double questionMargin, string query, string cached) =>
        similarity >= threshold && (questionMargin <= 0 || similarity >= threshold + questionMargin || !IsQuestion(query) || !IsQuestion(cached));

    private bool ValuesAgree(string query, string cached, List<string> a, List<string> b)
    {
        var valuesA = Values(query);
        var valuesB = Values(cached);
        var wordsA = PlainWords(query);
        var wordsB = PlainWords(cached);
        var namesA = Names(query);
        var namesB = Names(cached);
        if (CheckDates)
        {
            valuesA.UnionWith(a.Where(s_dateWords.Contains));
            valuesB.UnionWith(b.Where(s_dateWords.Contains));
            // A weekday or month is a date, compared as a value, not a second time as a name.
            namesA.RemoveWhere(s_dateWords.Contains);
            namesB.RemoveWhere(s_dateWords.Contains);
        }

        if (RejectAddedValues)
        {
            return SameSet(valuesA, valuesB) && !namesA.Any(n => !wordsB.Contains(n)) && !namesB.Any(n => !wordsA.Contains(n));
        }

        if (valuesA.Count + valuesB.Count + namesA.Count + namesB.Count == 0)
        {
            return true; // nothing to compare (most requests): no stems to build
        }

        // Only a changed value rejects: each side has one the other lacks. A detail in one text only is left to the similarity
        // score, so a value counts as the other text's too when the other text says it in its own words: a name in the singular
        // or the plural ("Syrian" / "Syrians"), a quotation whose words the other text has, quoted or not.
        var stemsA = Stems(wordsA);
        var stemsB = Stems(wordsB);
        var changedA = valuesA.Any(v => !valuesB.Contains(v) && !Said(v, stemsB));
        var changedB = valuesB.Any(v => !valuesA.Contains(v) && !Said(v, stemsA));
        var namesOnlyInA = namesA.Any(n => !wordsB.Contains(n) && !stemsB.Contains(Stem(n)));
        var namesOnlyInB = namesB.Any(n => !wordsA.Contains(n) && !stemsA.Contains(Stem(n)));
        return !(changedA && changedB) && !(namesOnlyInA && namesOnlyInB);
    }

    private static HashSet<string> Stems(HashSet<string> words)
    {
        var stems = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in words)
        {
            stems.Add(Stem(w));
        }

        return stems;
    }

    // A quoted value is said in the other text when every content word of it is there (in any form Stem folds): the same
    // words quoted differently, or not quoted at all. A number or a date must appear as itself.
    private static bool Said(string value, HashSet<string> otherStems)
    {
        if (value.Length == 0 || value[0] is not ('"' or '\'' or '`'))
        {
            return false;
        }

        var content = Words(value).Where(IsContent).ToList();
        return content.Count > 0 && content.All(w => otherStems.Contains(Stem(w)) && !HasDigit(w));
    }

    private static bool NegatedByPrefix(List<string> a, List<string> b)
    {
        var setA = a.ToHashSet(StringComparer.Ordinal);
        var setB = b.ToHashSet(StringComparer.Ordinal);
        foreach (var x in setA)
        {
            if (setB.Contains(x))
            {
                continue;
            }

            foreach (var y in setB)
            {
                if (!setA.Contains(y) && (IsNegatedForm(x, y) || IsNegatedForm(y, x)))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsNegatedForm(string word, string other)
    {
        foreach (var prefix in s_negatingPrefixes)
        {
            if (word.Length == prefix.Length + other.Length && other.Length >= 3 &&
                word.StartsWith(prefix, StringComparison.Ordinal) && word.AsSpan(prefix.Length).SequenceEqual(other))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The kinds of the questions in a text (one per sentence that ends with a question mark).</summary>
    private static HashSet<string> QuestionKinds(string text)
    {
        var kinds = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in QuestionPattern().Matches(text))
        {
            var words = Words(m.Value);
            var i = 0;
            while (i < words.Count && s_leadIns.Contains(words[i]))
            {
                i++;
            }

            if (i == words.Count)
            {
                continue;
            }

            var next = i + 1 < words.Count ? words[i + 1] : string.Empty;
            kinds.Add(words[i] switch
            {
                "why" => "reason",
                "where" => "place",
                "when" => "time",
                "who" or "whom" or "whose" => "person",
                "how" when next is "much" or "many" or "long" or "often" or "far" or "old" or "big" => "amount:" + next,
                "what" or "which" or "how" => "open",
                var w when s_auxiliaries.Contains(w) => "yes-no",
                _ => "open",
            });
        }

        return kinds;
    }

    // Words split at apostrophes too, so a name matches its possessive ("Twitter" / "Twitter's").
    private static HashSet<string> PlainWords(string text)
    {
        var lower = text.ToLowerInvariant();
        var set = new HashSet<string>(StringComparer.Ordinal);
        var position = 0;
        while (NextWord(lower, ref position, out var at, out var length, withApostrophe: false))
        {
            set.Add(lower.Substring(at, length));
        }

        return set;
    }

    /// <summary>The lower-cased words of a text, apostrophes removed ("don't" → "dont").</summary>
    internal static List<string> Words(string text)
    {
        var lower = text.ToLowerInvariant();
        var list = new List<string>();
        var position = 0;
        while (NextWord(lower, ref position, out var at, out var length, withApostrophe: true))
        {
            var word = lower.AsSpan(at, length);
            var apostrophe = word.IndexOfAny('\'', '’');
            list.Add(apostrophe < 0 ? lower.Substring(at, length) : string.Concat(word[..apostrophe], word[(apostrophe + 1)..]));
        }

        return list;
    }

    /// <summary>
    /// Finds the next word at or after <paramref name="position"/>, a hand-written scan (no regular expression on the hot path)
    /// that matches what <c>[\p{L}\p{N}]+</c> matches, followed, when <paramref name="withApostrophe"/> is set, by an optional
    /// <c>['’][\p{L}]+</c> ("don't", "Twitter’s"); <paramref name="position"/> moves past it.
    /// </summary>
    internal static bool NextWord(string text, ref int position, out int start, out int length, bool withApostrophe)
    {
        var i = position;
        while (i < text.Length && !IsLetterOrNumber(text[i]))
        {
            i++;
        }

        if (i == text.Length)
        {
            start = length = 0;
            position = i;
            return false;
        }

        start = i;
        while (i < text.Length && IsLetterOrNumber(text[i]))
        {
            i++;
        }

        if (withApostrophe && i + 1 < text.Length && text[i] is '\'' or '’' && char.IsLetter(text[i + 1]))
        {
            i += 2;
            while (i < text.Length && char.IsLetter(text[i]))
            {
                i++;
            }
        }

        length = i - start;
        position = i;
        return true;
    }

    // \p{L} or \p{N}: char.IsLetterOrDigit covers the letters and decimal digits only, not letter numbers (Ⅻ) or other numbers (½, ²).
    private static bool IsLetterOrNumber(char c) =>
        char.IsLetter(c) || char.GetUnicodeCategory(c) is UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

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

        // The patterns run only on texts that hold what they need (a decimal digit; a quote mark): most questions hold neither.
        if (HasDigit(text))
        {
            foreach (Match m in NumberPattern().Matches(text))
            {
                set.Add(m.Value.Replace(",", string.Empty, StringComparison.Ordinal));
            }
        }

        if (text.AsSpan().ContainsAny(s_quoteMarks))
        {
            foreach (Match m in QuotedPattern().Matches(text))
            {
                set.Add(m.Value.ToLowerInvariant());
            }
        }

        return set;
    }

    // \d without RegexOptions.ECMAScript is any Unicode decimal digit, which is what char.IsDigit tests.
    private static bool HasDigit(string text)
    {
        foreach (var c in text)
        {
            if (char.IsDigit(c))
            {
                return true;
            }
        }

        return false;
    }

    // \p{Lu}, which is what char.IsUpper tests.
    private static bool HasUpper(string text)
    {
        foreach (var c in text)
        {
            if (char.IsUpper(c))
            {
                return true;
            }
        }

        return false;
    }

    // Capitalised words that do not start a sentence: names of places, products, people.
    private static HashSet<string> Names(string text)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (!HasUpper(text))
        {
            return set;
        }

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

    [GeneratedRegex(@"[^?.!]*\?", RegexOptions.CultureInvariant)]
    private static partial Regex QuestionPattern();

    [GeneratedRegex(@"\d+(?:[.,]\d+)*", RegexOptions.CultureInvariant)]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"""[^""]{1,80}""|(?<![\p{L}\p{N}])'[^']{1,80}'(?![\p{L}\p{N}])|`[^`]{1,80}`", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedPattern();

    [GeneratedRegex(@"\b\p{Lu}[\p{L}\p{N}]+", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}
