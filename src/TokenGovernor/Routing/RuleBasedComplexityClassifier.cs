using System.Buffers;
using System.Collections.Frozen;
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

    private static readonly string[] s_code = ["```", "def ", "class ", "public ", "function ", "=>", "#include", "select ", "import ", "var ", "const ", "();"];

    /// <summary>Gets or sets the weight of prompt length (saturating at <see cref="LengthSaturationChars"/> characters).</summary>
    public double LengthWeight { get; init; } = 0.25;

    /// <summary>Gets or sets the characters of the last user turn at which the length signal is full.</summary>
    public int LengthSaturationChars { get; init; } = 1_500;

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
        signals.Add(FormattableString.Invariant($"length:{length:0.00}"));

        var hits = s_cues.Scan(text, out var codeWords);
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

        var math = hits.Math + CountOperators(text);
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
            signals.Add(FormattableString.Invariant($"tools:{tools.Count}"));
        }

        if (messages.Count > 2)
        {
            score += DepthWeight * Math.Min(1.0, messages.Count / 20.0);
            signals.Add(FormattableString.Invariant($"depth:{messages.Count}"));
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

    // Arithmetic between digits ("3 * 4", "x^2", "12/5"): a cheap sign of math.
    private static int CountOperators(string text)
    {
        var n = 0;
        for (var i = 1; i < text.Length - 1 && n < 3; i++)
        {
            var c = text[i];
            var codeComparison = c == '=' && (text[i - 1] is '=' or '!' or '<' or '>' || text[i + 1] == '=');
            if (!codeComparison && c is '*' or '^' or '=' or '+' or '/' &&
                (char.IsDigit(text[i - 1]) || char.IsDigit(text[i + 1]) || (text[i - 1] == ' ' && i + 2 < text.Length && char.IsDigit(text[i + 2]))))
            {
                n++;
            }
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
    /// Matches every cue in one pass over the words of the text: single words and prefixes by lookup, phrases of two and three
    /// words by looking up the joined window. Case-insensitive; allocation-free apart from the lower-cased buffer it rents.
    /// </summary>
    private sealed class CueTable
    {
        private readonly FrozenDictionary<string, (Cue Cue, int Index)> _exact;
        private readonly (string Prefix, Cue Cue, int Index)[] _prefixes;
        private readonly FrozenSet<string> _codeWords = s_codeWords.ToFrozenSet(StringComparer.Ordinal);

        public CueTable(params (Cue Cue, string[] Phrases)[] categories)
        {
            var exact = new Dictionary<string, (Cue, int)>(StringComparer.Ordinal);
            var prefixes = new List<(string, Cue, int)>();
            var index = 0;
            foreach (var (cue, phrases) in categories)
            {
                foreach (var phrase in phrases)
                {
                    if (phrase.EndsWith('*'))
                    {
                        prefixes.Add((phrase[..^1], cue, index++));
                    }
                    else
                    {
                        exact[phrase] = (cue, index++);
                    }
                }
            }

            _exact = exact.ToFrozenDictionary(StringComparer.Ordinal);
            _prefixes = [.. prefixes];
        }

        public CueHits Scan(string text, out int codeWords)
        {
            codeWords = 0;
            var lookup = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
            var words = _codeWords.GetAlternateLookup<ReadOnlySpan<char>>();
            Span<ulong> seen = stackalloc ulong[2];
            var codeSeen = 0;
            var buffer = ArrayPool<char>.Shared.Rent(text.Length);
            try
            {
                var lower = buffer.AsSpan(0, text.Length);
                text.AsSpan().ToLowerInvariant(lower);
                Span<(int Start, int End)> window = stackalloc (int, int)[3];
                var count = 0;
                var i = 0;
                while (i < lower.Length)
                {
                    while (i < lower.Length && !IsWordChar(lower[i]))
                    {
                        i++;
                    }

                    var start = i;
                    while (i < lower.Length && IsWordChar(lower[i]))
                    {
                        i++;
                    }

                    if (i == start)
                    {
                        break;
                    }

                    window[0] = window[1];
                    window[1] = window[2];
                    window[2] = (start, i);
                    count++;
                    var word = lower[start..i];
                    Mark(lookup.TryGetValue(word, out var hit), hit, seen);
                    foreach (var (prefix, cue, index) in _prefixes)
                    {
                        if (word.StartsWith(prefix, StringComparison.Ordinal))
                        {
                            Mark(true, (cue, index), seen);
                        }
                    }

                    if (words.TryGetValue(word, out var codeWord))
                    {
                        var bit = 1 << Array.IndexOf(s_codeWords, codeWord);
                        codeSeen |= bit;
                    }

                    // Phrases: the last two and three words, as written (single spaces between them in the source are typical).
                    if (count >= 2)
                    {
                        Mark(lookup.TryGetValue(Phrase(lower, window[1].Start, window[2].End), out hit), hit, seen);
                    }

                    if (count >= 3)
                    {
                        Mark(lookup.TryGetValue(Phrase(lower, window[0].Start, window[2].End), out hit), hit, seen);
                    }
                }
            }
            finally
            {
                ArrayPool<char>.Shared.Return(buffer);
            }

            codeWords = System.Numerics.BitOperations.PopCount((uint)codeSeen);
            return new CueHits(CountOf(Cue.MultiStep, seen), CountOf(Cue.Reasoning, seen), CountOf(Cue.Math, seen), CountOf(Cue.Task, seen));
        }

        private int CountOf(Cue cue, ReadOnlySpan<ulong> seen)
        {
            var n = 0;
            foreach (var (c, index) in _exact.Values)
            {
                n += c == cue && (seen[index >> 6] & (1UL << (index & 63))) != 0 ? 1 : 0;
            }

            foreach (var (_, c, index) in _prefixes)
            {
                n += c == cue && (seen[index >> 6] & (1UL << (index & 63))) != 0 ? 1 : 0;
            }

            return n;
        }

        private static ReadOnlySpan<char> Phrase(Span<char> lower, int start, int end) => lower[start..end];

        private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '-' or '\'';

        private static void Mark(bool found, (Cue Cue, int Index) hit, Span<ulong> seen)
        {
            if (found)
            {
                seen[hit.Index >> 6] |= 1UL << (hit.Index & 63);
            }
        }
    }
}
