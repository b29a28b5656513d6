using System.Globalization;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// The default <see cref="IComplexityClassifier"/>: explainable rules over the last user turn and the request — length, code,
/// math, multi-step and analysis wording, explicit reasoning requests, tools offered and conversation depth — combined with
/// configurable weights into a score in [0, 1], mapped to tiers by evenly spaced (or configured) boundaries.
/// </summary>
/// <remarks>One pass over the text with ordinal, case-insensitive searches; no regular expressions, no allocation beyond the
/// signal list. Thread-safe.</remarks>
public sealed class RuleBasedComplexityClassifier : IComplexityClassifier
{
    private static readonly string[] s_codeMarks = ["```", "=>", "#include", "();"];

    private static readonly string[] s_codeWords = ["def", "class", "public", "function", "select", "import", "var", "const"];

    // Cue words and phrases by category. Phrases are matched on consecutive words; entries ending in '*' match as prefixes.
    private static readonly CueTable s_cues = new(
        (Cue.MultiStep, ["step by step", "step-by-step", "first", "then", "plan", "design", "architecture", "compare", "trade-off", "trade-offs", "tradeoff*",
            "analy*", "evaluate", "pros and cons", "strategy", "refactor", "migrate", "optimi*", "debug", "root cause", "why does", "explain why",
            "in detail", "comprehensive", "multiple", "several", "roadmap", "postmortem"]),
        (Cue.Reasoning, ["prove", "proof", "derive", "think carefully", "reason about", "carefully", "puzzle", "riddle",
            "theorem", "optimal", "time complexity", "complexity of", "by induction"]),
        (Cue.Math, ["calculate", "compute", "equation*", "integral", "derivative", "probability", "solve", "matrix", "percent", "sqrt"]),
        (Cue.Task, ["write", "explain", "draft", "summar*", "rewrite", "classify", "generate", "list the", "describe", "review", "create"]));

    private static readonly double[] s_fourTiers = [0.2, 0.45, 0.7];

    private static readonly System.Buffers.SearchValues<char> s_operators = System.Buffers.SearchValues.Create("*^=+/");

    private static readonly string[] s_code = ["```", "def ", "class ", "public ", "function ", "=>", "#include", "select ", "import ", "var ", "const ", "();"];

    /// <summary>Gets or sets the weight of prompt length (saturating at <see cref="LengthSaturationChars"/> characters).</summary>
    public double LengthWeight { get; init; } = 0.25;

    /// <summary>Gets or sets the characters of the last user turn at which the length signal is full.</summary>
    public int LengthSaturationChars { get; init; } = 1_500;

    /// <summary>Gets or sets how many leading characters of a long user turn are scanned for cue words.</summary>
    /// <value>Defaults to 1,000 (the code and length signals always read the whole turn).</value>
    public int HeadChars { get; init; } = 1_000;

    /// <summary>Gets or sets how many trailing characters of a long user turn are scanned for cue words.</summary>
    /// <value>Defaults to 600.</value>
    public int TailChars { get; init; } = 600;

    /// <summary>Gets or sets the weight of a writing or explaining task (write, explain, draft, summarise, …).</summary>
    public double GenerationWeight { get; init; } = 0.25;

    /// <summary>Gets or sets the weight of code in the request.</summary>
    public double CodeWeight { get; init; } = 0.15;

    /// <summary>Gets or sets the weight of math.</summary>
    public double MathWeight { get; init; } = 0.15;

    /// <summary>Gets or sets the weight of multi-step and analysis wording (saturating at two cues).</summary>
    public double MultiStepWeight { get; init; } = 0.45;

    /// <summary>Gets or sets the weight of an explicit reasoning request.</summary>
    public double ReasoningWeight { get; init; } = 0.35;

    /// <summary>Gets or sets the weight of tools offered (saturating at 5 tools).</summary>
    public double ToolsWeight { get; init; } = 0.10;

    /// <summary>Gets or sets the weight of conversation depth (saturating at 20 messages).</summary>
    public double DepthWeight { get; init; } = 0.10;

    /// <summary>Gets or sets the score boundaries between tiers (ascending); <see langword="null"/> uses 0.2 / 0.45 / 0.7 for four
    /// tiers and even spacing otherwise.</summary>
    public IReadOnlyList<double>? TierBoundaries { get; init; }

    // "length:0.42" for each prompt length up to the saturation point, made on first use: formatting a double cost about 0.3 µs
    // per call, a few percent of a routed cache miss.
    private string?[]? _lengthSignals;

    private string LengthSignal(int chars, double length)
    {
        if (LengthSaturationChars <= 0 || LengthSaturationChars > 16_384)
        {
            return string.Create(CultureInfo.InvariantCulture, $"length:{length:0.00}");
        }

        var cache = _lengthSignals ??= new string?[LengthSaturationChars + 1];
        var slot = Math.Min(chars, LengthSaturationChars);
        if (slot >= cache.Length)
        {
            return string.Create(CultureInfo.InvariantCulture, $"length:{length:0.00}");
        }

        return cache[slot] ??= string.Create(CultureInfo.InvariantCulture, $"length:{length:0.00}");
    }

    /// <inheritdoc />
    public ComplexityAssessment Classify(IList<ChatMessage> messages, ChatOptions? options, int tierCount)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tierCount);
        var text = LastUserText(messages);
        var signals = new List<string>(6);
        var score = 0.0;

        var length = Math.Min(1.0, text.Length / (double)LengthSaturationChars);
        score += LengthWeight * length;
        signals.Add(LengthSignal(text.Length, length));

        // Cue words sit in the request's framing: scan the head and the tail of a long turn, not pasted material in between.
        var whole = text.Length <= HeadChars + TailChars;
        var head = whole ? text.AsSpan() : text.AsSpan(0, HeadChars);
        var tail = whole ? [] : text.AsSpan(text.Length - TailChars);
        var hits = s_cues.Scan(head, tail, out var codeWords);
        if (hits.Task > 0)
        {
            score += GenerationWeight;
            signals.Add("task");
        }

        var code = codeWords;
        foreach (var mark in s_codeMarks)
        {
            code += text.Contains(mark, StringComparison.Ordinal) ? 1 : 0;
        }

        if (code > 0)
        {
            score += CodeWeight * Math.Min(1.0, code / 3.0);
            signals.Add("code");
        }

        var math = hits.Math + CountOperators(head) + CountOperators(tail);
        if (math > 0)
        {
            score += MathWeight * Math.Min(1.0, math / 3.0);
            signals.Add("math");
        }

        var multi = hits.MultiStep;
        if (multi > 0)
        {
            score += MultiStepWeight * Math.Min(1.0, multi / 2.0);
            signals.Add("multi-step");
        }

        // Only the request's words count as asking for reasoning: ReasoningOptions set by the caller do not make a trivial
        // request need it (routing removes them from requests that do not).
        var reasoning = hits.Reasoning;
        var explicitReasoning = reasoning > 0;
        if (explicitReasoning)
        {
            score += ReasoningWeight;
            signals.Add("reasoning");
        }

        if (options?.Tools is { Count: > 0 } tools)
        {
            score += ToolsWeight * Math.Min(1.0, tools.Count / 5.0);
            signals.Add(string.Create(CultureInfo.InvariantCulture, $"tools:{tools.Count}"));
        }

        if (messages.Count > 2)
        {
            score += DepthWeight * Math.Min(1.0, messages.Count / 20.0);
            signals.Add(string.Create(CultureInfo.InvariantCulture, $"depth:{messages.Count}"));
        }

        score = Math.Clamp(score, 0, 1);
        var tier = TierOf(score, tierCount);
        // Reasoning is for requests that ask for it (proofs, derivations, puzzles, optimality) or that combine math with
        // several steps; everything else is better served, and cheaper, without it.
        var needsReasoning = explicitReasoning || (math > 0 && multi > 0) || math >= 2;
        return new ComplexityAssessment(Math.Round(score, 4), tier, needsReasoning, signals);
    }

    private int TierOf(double score, int tierCount)
    {
        var bounds = TierBoundaries is { Count: > 0 } configured ? configured : tierCount == 4 ? s_fourTiers : null;
        if (bounds is not null)
        {
            var t = 0;
            while (t < bounds.Count && score >= bounds[t])
            {
                t++;
            }

            return Math.Min(t, tierCount - 1);
        }

        return Math.Min(tierCount - 1, (int)(score * tierCount));
    }

    private static string LastUserText(IList<ChatMessage> messages)
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

    // Arithmetic between digits ("3 * 4", "x^2", "12/5"): a cheap sign of math. Candidates are found with a vectorised search.
    private static int CountOperators(ReadOnlySpan<char> span)
    {
        var n = 0;
        var i = 1;
        while (n < 3 && i < span.Length - 1)
        {
            var next = span[i..^1].IndexOfAny(s_operators);
            if (next < 0)
            {
                break;
            }

            i += next;
            var c = span[i];
            var codeComparison = c == '=' && (span[i - 1] is '=' or '!' or '<' or '>' || span[i + 1] == '=');
            if (!codeComparison &&
                (char.IsDigit(span[i - 1]) || char.IsDigit(span[i + 1]) || (span[i - 1] == ' ' && i + 2 < span.Length && char.IsDigit(span[i + 2]))))
            {
                n++;
            }

            i++;
        }

        return n;
    }

    private enum Cue
    {
        MultiStep = 0,
        Reasoning = 1,
        Math = 2,
        Task = 3,
    }

    /// <summary>Distinct cues found per category.</summary>
    private readonly record struct CueHits(int MultiStep, int Reasoning, int Math, int Task);

    /// <summary>
    /// Matches every cue in one pass over the characters of the text: each word's FNV-1a hash is computed while it is read and
    /// looked up in a table of cue hashes (words, prefixes at their length, and phrases as combined hashes of consecutive words).
    /// Case-insensitive for ASCII and Latin letters; no allocation. A 64-bit hash collision could only add a spurious cue.
    /// </summary>
    private sealed class CueTable
    {
        private static readonly System.Buffers.SearchValues<char> s_wordChars =
            System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-'");

        private const ulong Offset = 0x9E3779B97F4A7C15UL;
        private const ulong Prime = 1099511628211UL;
        private const int CodeFlag = 1 << 20;
        private const int HeadFlag = 1 << 21;
        private const int CueMask = (1 << 20) - 1;
        private readonly HashTable _words = new(512);
        private readonly HashTable _phrases = new(128);
        private readonly HashTable _prefixes = new(64);
        private readonly int _prefixLengths;
        private readonly Cue[] _cues;

        public CueTable(params (Cue Cue, string[] Phrases)[] categories)
        {
            var cues = new List<Cue>();
            foreach (var (cue, phrases) in categories)
            {
                foreach (var phrase in phrases)
                {
                    var index = cues.Count;
                    cues.Add(cue);
                    if (phrase.EndsWith('*'))
                    {
                        _prefixes.Set(Hash(phrase.AsSpan(0, phrase.Length - 1)), index + 1);
                        _prefixLengths |= 1 << (phrase.Length - 1);
                    }
                    else if (phrase.Contains(' ', StringComparison.Ordinal))
                    {
                        var parts = phrase.Split(' ');
                        var h = Hash(parts[0]);
                        _words.Or(h, HeadFlag);
                        for (var p = 1; p < parts.Length; p++)
                        {
                            var next = Hash(parts[p]);
                            if (p < parts.Length - 1)
                            {
                                _words.Or(next, HeadFlag);
                            }

                            h = Combine(h, next);
                        }

                        _phrases.Set(h, index + 1);
                    }
                    else
                    {
                        _words.Or(Hash(phrase), index + 1);
                    }
                }
            }

            for (var c = 0; c < s_codeWords.Length; c++)
            {
                _words.Or(Hash(s_codeWords[c]), CodeFlag | ((c + 1) << 22));
            }

            _cues = [.. cues];
        }

        public CueHits Scan(ReadOnlySpan<char> head, ReadOnlySpan<char> tail, out int codeWords)
        {
            Span<ulong> seen = stackalloc ulong[2];
            var codeSeen = ScanPart(head, seen) | ScanPart(tail, seen);
            codeWords = System.Numerics.BitOperations.PopCount((uint)codeSeen);
            int multi = 0, reasoning = 0, math = 0, task = 0;
            for (var index = 0; index < _cues.Length; index++)
            {
                if ((seen[index >> 6] & (1UL << (index & 63))) != 0)
                {
                    switch (_cues[index])
                    {
                        case Cue.MultiStep: multi++; break;
                        case Cue.Reasoning: reasoning++; break;
                        case Cue.Math: math++; break;
                        default: task++; break;
                    }
                }
            }

            return new CueHits(multi, reasoning, math, task);
        }

        private int ScanPart(ReadOnlySpan<char> span, Span<ulong> seen)
        {
            var codeSeen = 0;
            ulong h1 = 0, h2 = 0;
            bool head1 = false, head2 = false;
            var i = 0;
            while (i < span.Length)
            {
                // Word boundaries are found with vectorised searches; cue words are ASCII, so other characters separate words.
                var skip = span[i..].IndexOfAny(s_wordChars);
                if (skip < 0)
                {
                    break;
                }

                i += skip;
                var end = span[i..].IndexOfAnyExcept(s_wordChars);
                var word = end < 0 ? span[i..] : span.Slice(i, end);
                i += word.Length;

                var h = Offset;
                for (var k = 0; k < word.Length; k++)
                {
                    h = Step(h, Lower(word[k]));
                    if (k < 31 && (_prefixLengths & (1 << (k + 1))) != 0 && _prefixes.Get(Finish(h)) is var prefix and > 0)
                    {
                        Mark(prefix - 1, seen);
                    }
                }

                h = Finish(h);
                var flags = _words.Get(h);
                if ((flags & CueMask) is var cue and > 0)
                {
                    Mark(cue - 1, seen);
                }

                if ((flags & CodeFlag) != 0)
                {
                    codeSeen |= 1 << ((flags >> 22) & 31);
                }

                if (head1 && _phrases.Get(Combine(h1, h)) is var two and > 0)
                {
                    Mark(two - 1, seen);
                }

                if (head2 && head1 && _phrases.Get(Combine(Combine(h2, h1), h)) is var three and > 0)
                {
                    Mark(three - 1, seen);
                }

                h2 = h1;
                head2 = head1;
                h1 = h;
                head1 = (flags & HeadFlag) != 0;
            }

            return codeSeen;
        }

        private static ulong Hash(ReadOnlySpan<char> word)
        {
            var h = Offset;
            foreach (var c in word)
            {
                h = Step(h, Lower(c));
            }

            return Finish(h);
        }

        // A one-cycle rolling step per character and one multiply per word: the scan is bound by reading characters, not hashing.
        private static ulong Step(ulong h, char c) => System.Numerics.BitOperations.RotateLeft(h, 7) ^ c;

        private static ulong Finish(ulong h) => (h ^ (h >> 29)) * Prime;

        private static char Lower(char c) => (char)(c is >= 'A' and <= 'Z' ? c | 0x20 : c);

        private static ulong Combine(ulong first, ulong second) => (first * 0x9E3779B97F4A7C15UL) ^ second;

        private static void Mark(int index, Span<ulong> seen) => seen[index >> 6] |= 1UL << (index & 63);
    }

    /// <summary>A fixed-size open-addressing table from 64-bit hashes to int values (0 = absent); lookups are a probe or two.</summary>
    private sealed class HashTable(int size)
    {
        private readonly ulong[] _keys = new ulong[size];
        private readonly int[] _values = new int[size];
        private readonly int _mask = size - 1;

        public int Get(ulong key)
        {
            for (var i = (int)(key >> 40) & _mask; ; i = (i + 1) & _mask)
            {
                if (_values[i] == 0)
                {
                    return 0;
                }

                if (_keys[i] == key)
                {
                    return _values[i];
                }
            }
        }

        public void Set(ulong key, int value)
        {
            var i = Slot(key);
            _keys[i] = key;
            _values[i] = value;
        }

        public void Or(ulong key, int value)
        {
            var i = Slot(key);
            _keys[i] = key;
            _values[i] |= value;
        }

        private int Slot(ulong key)
        {
            for (var i = (int)(key >> 40) & _mask; ; i = (i + 1) & _mask)
            {
                if (_values[i] == 0 || _keys[i] == key)
                {
                    return i;
                }
            }
        }
    }
}
