using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// One immutable record of what governance did for one call: scope, estimate, cache, usage and cost of the model that
/// answered, and the degradations applied. Read it with <see cref="GovernanceExtensions.GetGovernance(ChatResponse)"/>; metrics
/// and <see cref="ICostSink"/>s receive the same record, so every figure is computed once.
/// </summary>
public sealed record GovernanceRecord
{
    /// <summary>The key under which the record is stored in <c>ChatResponse.AdditionalProperties</c> and on the final streaming update.</summary>
    public const string AdditionalPropertiesKey = "tokengovernor.governance";

    /// <summary>Gets when the call started, from the configured <see cref="TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>Gets how long the call took, measured with the configured <see cref="TimeProvider"/>.</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>Gets the scope the call was made in.</summary>
    public GovernanceScope Scope { get; init; } = GovernanceScope.Empty;

    /// <summary>Gets a value indicating whether the call was streamed.</summary>
    public bool Streaming { get; init; }

    /// <summary>Gets the model the caller asked for (<c>ChatOptions.ModelId</c> or the client's default), or <see langword="null"/>.</summary>
    public string? RequestedModelId { get; init; }

    /// <summary>Gets the model that answered (<c>ChatResponse.ModelId</c>, else the requested model).</summary>
    public string? ModelId { get; init; }

    /// <summary>Gets the catalog model whose price was applied.</summary>
    public string? PricedModelId { get; init; }

    /// <summary>Gets the pre-call estimate, when a layer made one.</summary>
    public CostEstimate? Estimate { get; init; }

    /// <summary>Gets the billed token usage, normalised to disjoint categories.</summary>
    public TokenUsage Usage { get; init; }

    /// <summary>Gets a value indicating whether <see cref="Usage"/> was estimated because the provider reported none.</summary>
    public bool UsageEstimated { get; init; }

    /// <summary>Gets the cost of <see cref="Usage"/> for <see cref="PricedModelId"/>, plus <see cref="CacheCost"/> (as input) when the
    /// cache spent something deciding the call.</summary>
    public CostBreakdown Cost { get; init; }

    /// <summary>Gets how many provider calls this record covers (more than one when a tool loop or retries ran below the layer that recorded it).</summary>
    public int ProviderCalls { get; init; }

    /// <summary>Gets whether and how the response was served from a cache.</summary>
    public CacheStatus Cache { get; init; }

    /// <summary>Gets the similarity of a semantic cache hit, or <see langword="null"/>.</summary>
    public double? CacheSimilarity { get; init; }

    /// <summary>Gets what the semantic cache spent deciding this call, in US dollars: remote embedding calls (priced from the
    /// catalog by input tokens) and the grey-band verifier's call. It is part of <see cref="Cost"/> and is subtracted from
    /// <see cref="CostAvoided"/>; 0 with a local embedder (hashing, MiniLM) and no verifier.</summary>
    public decimal CacheCost { get; init; }

    /// <summary>Gets the cost the cache avoided, net of <see cref="CacheCost"/>, in US dollars: on a hit, what the original call cost
    /// minus what this lookup spent; on a miss that paid for a remote embedding or a verifier, minus that spending (negative).</summary>
    public decimal CostAvoided { get; init; }

    /// <summary>Gets what the budget layer reserved for the call (its worst case), in US dollars, or <see langword="null"/> without budgets.</summary>
    public decimal? BudgetReserved { get; init; }

    /// <summary>Gets what the budget layer settled (the call's real cost), or <see langword="null"/> when nothing was settled.</summary>
    public decimal? BudgetSettled { get; init; }

    /// <summary>Gets the utilization of the tightest applicable budget before the call, or <see langword="null"/> without budgets.</summary>
    public double? BudgetUtilization { get; init; }

    /// <summary>Gets what routing decided (tier, model, score, reasons, escalations, top-tier cost), or <see langword="null"/> without routing.</summary>
    public RoutingDecision? Routing { get; init; }

    /// <summary>Gets the loop guard's run step after this call (model calls made so far in the run, this one included), or
    /// <see langword="null"/> when no loop guard tracked a run for the call.</summary>
    public int? RunStep { get; init; }

    /// <summary>Gets the tokens used so far in the run, this call included, or <see langword="null"/> without a tracked run.</summary>
    public long? RunTokens { get; init; }

    /// <summary>Gets the cost so far in the run, this call included, in US dollars, or <see langword="null"/> without a tracked run.</summary>
    public decimal? RunCost { get; init; }

    /// <summary>Gets why the call was refused (for example <c>budget-exhausted</c> or <c>cache-only</c>), or <see langword="null"/>.</summary>
    public string? Refusal { get; init; }

    /// <summary>Gets the scope levels a budget policy applies at that the call did not carry (for example <see cref="ScopeLevel.Tenant"/>
    /// for a call made without a tenant under a per-tenant budget), whatever <see cref="BudgetOptions.UnscopedCalls"/> then did: under
    /// <see cref="UnscopedCallHandling.Allow"/> the call was counted against no budget at these levels. Empty when none was missing.</summary>
    public IReadOnlyList<ScopeLevel> MissingScopes { get; init; } = [];

    /// <summary>Gets the degradation steps applied to the call, in the order they were applied (empty when none).</summary>
    public IReadOnlyList<string> Degradations { get; init; } = [];

    /// <summary>
    /// Gets what layers in shadow mode decided but did not do, such as <c>budget:prefer-cheaper-model</c>,
    /// <c>budget:refuse:budget-exhausted</c>, <c>routing:gpt-4o-mini</c> or <c>cache:exact</c> (see
    /// <see cref="TokenGovernorPipelineBuilder.UseShadowMode"/>). Empty when no layer is in shadow mode.
    /// </summary>
    public IReadOnlyList<string> ShadowActions { get; init; } = [];
}
