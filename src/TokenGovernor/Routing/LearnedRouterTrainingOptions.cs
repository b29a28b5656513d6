using System.Diagnostics.CodeAnalysis;
using System.ComponentModel.DataAnnotations;

namespace TokenGovernor;

/// <summary>Options of <see cref="LearnedRouter.TrainAsync"/>.</summary>
[Experimental(DiagnosticIds.LearnedRouting)]
public sealed class LearnedRouterTrainingOptions : IValidatableObject
{
    /// <summary>Gets or sets the tier names, cheapest first; <see langword="null"/> orders the tiers found in the examples by their
    /// mean quality (lowest first), which is the usual order of price.</summary>
    public IReadOnlyList<string>? Tiers { get; set; }

    /// <summary>Gets or sets the share of the strongest tier's quality to keep (the operating point): the router sends as few calls
    /// as it can to stronger tiers while, on held-out folds of the training data, the quality kept is at least this share.</summary>
    /// <value>Defaults to 0.95. Ignored when <see cref="MaxStrongShare"/> is set.</value>
    [Range(0.0, 1.0)]
    public double TargetQuality { get; set; } = 0.95;

    /// <summary>Gets or sets the largest share of calls the router may send to the strongest tier (the operating point), or
    /// <see langword="null"/> to choose it by <see cref="TargetQuality"/>.</summary>
    [Range(0.0, 1.0)]
    public double? MaxStrongShare { get; set; }

    /// <summary>Gets or sets the seed of every random choice (fold split, example order); the same examples and seed give the same
    /// router, byte for byte.</summary>
    /// <value>Defaults to 17.</value>
    public int Seed { get; set; } = 17;

    /// <summary>Gets or sets the L2 penalty on the weights (higher generalises more and fits less).</summary>
    /// <value>Defaults to 1e-3.</value>
    [Range(0.0, 10.0)]
    public double L2 { get; set; } = 1e-3;

    /// <summary>Gets or sets how many passes over the examples training makes.</summary>
    /// <value>Defaults to 150 (full-batch gradient steps). 300 steps order requests no better on held-out data and take twice
    /// as long.</value>
    [Range(1, 100_000)]
    public int Iterations { get; set; } = 150;

    /// <summary>Gets or sets the number of hashed word and word-pair features, as a power of two.</summary>
    /// <value>Defaults to 16 (65,536 features).</value>
    [Range(8, 22)]
    public int HashBits { get; set; } = 16;

    /// <summary>Gets or sets how many folds choose the operating point (each example is scored by a router trained without it).</summary>
    /// <value>Defaults to 5; 1 scores the training examples with the final router (optimistic).</value>
    [Range(1, 20)]
    public int Folds { get; set; } = 5;

    /// <summary>Gets or sets whether the router also learns a topic prior: its training requests are clustered by their words
    /// (and their embeddings, with an embedder), each cluster learns its mean quality gain, and the score blends that prior with
    /// the logistic model at the weight that orders held-out folds best (0 when the prior does not help).</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool TopicPrior { get; set; } = true;

    /// <summary>Gets or sets whether the router fits one head per tier above the cheapest on its gain (routers before file version 3)
    /// instead of one head per tier on its quality. For tests of older files.</summary>
    internal bool GainHeads { get; set; }

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Tiers is { } tiers && (tiers.Count < 2 || tiers.Distinct(StringComparer.Ordinal).Count() != tiers.Count))
        {
            yield return new ValidationResult($"{nameof(LearnedRouterTrainingOptions)}.{nameof(Tiers)} must name at least two distinct tiers, cheapest first.", [nameof(Tiers)]);
        }
    }
}
