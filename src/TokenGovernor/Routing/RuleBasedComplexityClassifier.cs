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
    private static readonly string[] s_multiStep =
    [
        "step by step", "step-by-step", "first,", "then ", "plan ", "design ", "architecture", "compare", "trade-off", "tradeoff",
        "analy", "evaluate", "pros and cons", "strategy", "refactor", "migrate", "optimi", "debug", "root cause", "why does", "explain why",
        "in detail", "comprehensive", "multiple", "several",
    ];

    private static readonly string[] s_reasoning =
    [
        "prove", "proof", "derive", "think carefully", "reason about", "carefully", "puzzle", "riddle", "logic puzzle",
        "theorem", "optimal", "time complexity", "complexity of", "by induction",
    ];

    private static readonly string[] s_generation =
    [
        "write", "explain", "draft", "summar", "rewrite", "classify", "generate", "list the", "describe", "review", "create",
    ];

    private static readonly string[] s_math =
    [
        "calculate", "compute", "equation", "integral", "derivative", "probability", "solve", "matrix", "percent", "\\frac", "sqrt",
    ];

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

        if (Count(text, s_generation) > 0)
        {
            score += GenerationWeight;
            signals.Add("task");
        }

        var code = Count(text, s_code);
        if (code > 0)
        {
            score += CodeWeight * Math.Min(1.0, code / 3.0);
            signals.Add("code");
        }

        var math = Count(text, s_math) + CountOperators(text);
        if (math > 0)
        {
            score += MathWeight * Math.Min(1.0, math / 3.0);
            signals.Add("math");
        }

        var multi = Count(text, s_multiStep);
        if (multi > 0)
        {
            score += MultiStepWeight * Math.Min(1.0, multi / 2.0);
            signals.Add("multi-step");
        }

        // Only the request's words count as asking for reasoning: ReasoningOptions set by the caller do not make a trivial
        // request need it (routing removes them from requests that do not).
        var reasoning = Count(text, s_reasoning);
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

    private static int Count(string text, string[] needles)
    {
        var n = 0;
        foreach (var needle in needles)
        {
            if (text.Contains(needle, StringComparison.OrdinalIgnoreCase))
            {
                n++;
            }
        }

        return n;
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
}
