using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>The built-in rungs of the degradation ladder.</summary>
public static class BudgetDegradationSteps
{
    /// <summary>The default ladder: prefer a cheaper model at 70%, cap output at 85% and turn reasoning off, cache-only at 95%,
    /// refuse at 100%.</summary>
    /// <returns>A new list of the default steps.</returns>
    public static IList<BudgetDegradationStep> CreateDefault() =>
    [
        new PreferCheaperModelStep(0.70),
        new CapOutputStep(0.85, 512),
        new DisableReasoningStep(0.85),
        new RefuseStep(0.95, "cache-only"),
        new RefuseStep(1.0, "budget-exhausted"),
    ];

    /// <summary>Switches the request to a cheaper model of the same family (for example gpt-4o → gpt-4o-mini), only when no routing
    /// layer owns the model: with model routing above the budgets, routing reads the ledger's utilization and picks a cheaper
    /// tier itself (<see cref="RoutingOptions.PreferCheaperAt"/>), and this step is skipped.</summary>
    public sealed class PreferCheaperModelStep : BudgetDegradationStep
    {
        /// <summary>Initializes a new step with the built-in cheaper-model map.</summary>
        /// <param name="threshold">The utilization from which it applies.</param>
        public PreferCheaperModelStep(double threshold)
            : base("prefer-cheaper-model", threshold)
        {
        }

        /// <summary>Gets the map from a model to its cheaper substitute (case-insensitive); edit it to fit your deployments.</summary>
        public IDictionary<string, string> CheaperModels { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["gpt-4o"] = "gpt-4o-mini",
            ["gpt-4.1"] = "gpt-4.1-mini",
            ["gpt-4.1-mini"] = "gpt-4.1-nano",
            ["gpt-5"] = "gpt-5-mini",
            ["gpt-5-mini"] = "gpt-5-nano",
            ["o3"] = "o4-mini",
            ["o1"] = "o3-mini",
            ["gpt-4-turbo"] = "gpt-4o-mini",
            ["claude-opus-4-1"] = "claude-sonnet-4",
            ["claude-opus-4"] = "claude-sonnet-4",
            ["claude-sonnet-4"] = "claude-3-5-haiku",
            ["claude-3-7-sonnet"] = "claude-3-5-haiku",
            ["gemini-2.5-pro"] = "gemini-2.5-flash",
            ["gemini-2.5-flash"] = "gemini-2.5-flash-lite",
            ["mistral-large"] = "mistral-small",
        };

        internal override bool ChangesModel => true;

        /// <inheritdoc />
        public override bool Apply(BudgetDegradationContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.Options.ModelId is { } model && CheaperModels.TryGetValue(model, out var cheaper))
            {
                context.Options.ModelId = cheaper;
                return true;
            }

            return false;
        }
    }

    /// <summary>Caps <see cref="ChatOptions.MaxOutputTokens"/>.</summary>
    /// <param name="threshold">The utilization from which it applies.</param>
    /// <param name="maxOutputTokens">The cap.</param>
    public sealed class CapOutputStep(double threshold, int maxOutputTokens) : BudgetDegradationStep("cap-output", threshold)
    {
        /// <summary>Gets the output cap.</summary>
        public int MaxOutputTokens { get; } = maxOutputTokens > 0 ? maxOutputTokens : throw new ArgumentOutOfRangeException(nameof(maxOutputTokens), "The output cap must be positive.");

        /// <inheritdoc />
        public override bool Apply(BudgetDegradationContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.Options.MaxOutputTokens is { } current && current <= MaxOutputTokens)
            {
                return false;
            }

            context.Options.MaxOutputTokens = MaxOutputTokens;
            return true;
        }
    }

    /// <summary>Turns reasoning off (<see cref="ReasoningEffort.None"/>) for models that support it.</summary>
    /// <param name="threshold">The utilization from which it applies.</param>
    public sealed class DisableReasoningStep(double threshold) : BudgetDegradationStep("reasoning-off", threshold)
    {
        /// <inheritdoc />
        public override bool Apply(BudgetDegradationContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            if (context.Options.Reasoning is { Effort: ReasoningEffort.None })
            {
                return false;
            }

            context.Options.Reasoning = new ReasoningOptions { Effort = ReasoningEffort.None };
            return true;
        }
    }

    /// <summary>Refuses the call. At 95% by default as <c>cache-only</c>: the cache above the budget layer still answers hits, and
    /// misses are refused. At 100% as <c>budget-exhausted</c>.</summary>
    /// <param name="threshold">The utilization from which it applies.</param>
    /// <param name="reason">The reason recorded and reported.</param>
    public sealed class RefuseStep(double threshold, string reason) : BudgetDegradationStep(reason, threshold)
    {
        /// <inheritdoc />
        public override bool Apply(BudgetDegradationContext context)
        {
            ArgumentNullException.ThrowIfNull(context);
            context.Refuse(Name);
            return true;
        }
    }
}
