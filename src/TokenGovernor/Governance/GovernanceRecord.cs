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
    public CostEstimate? Estimate { get => Details.Estimate; init => Details = Details with { Estimate = value }; }

    /// <summary>Gets the billed token usage, normalised to disjoint categories.</summary>
    public TokenUsage Usage { get => Billed.Usage; init => Billed = Billed with { Usage = value }; }

    /// <summary>Gets a value indicating whether <see cref="Usage"/> was estimated because the provider reported none.</summary>
    public bool UsageEstimated { get; init; }

    /// <summary>Gets the cost of <see cref="Usage"/> for <see cref="PricedModelId"/>, plus <see cref="CacheCost"/> (as input) when the
    /// cache spent something deciding the call.</summary>
    public CostBreakdown Cost { get => Billed.Cost; init => Billed = Billed with { Cost = value }; }

    /// <summary>Gets how many provider calls this record covers (more than one when a tool loop or retries ran below the layer that recorded it).</summary>
    public int ProviderCalls { get; init; }

    /// <summary>Gets whether and how the response was served from a cache.</summary>
    public CacheStatus Cache { get; init; }

    /// <summary>Gets the similarity of a semantic cache hit, or <see langword="null"/>.</summary>
    public double? CacheSimilarity { get => Details.CacheSimilarity; init => Details = Details with { CacheSimilarity = value }; }

    /// <summary>Gets what the semantic cache spent deciding this call, in US dollars: remote embedding calls (priced from the
    /// catalog by input tokens) and the grey-band verifier's call. It is part of <see cref="Cost"/> and is subtracted from
    /// <see cref="CostAvoided"/>; 0 with a local embedder (hashing, MiniLM) and no verifier.</summary>
    public decimal CacheCost { get => Details.CacheCost; init => Details = Details with { CacheCost = value }; }

    /// <summary>Gets the cost the cache avoided, net of <see cref="CacheCost"/>, in US dollars: on a hit, what the original call cost
    /// minus what this lookup spent; on a miss that paid for a remote embedding or a verifier, minus that spending (negative).</summary>
    public decimal CostAvoided { get => Details.CostAvoided; init => Details = Details with { CostAvoided = value }; }

    /// <summary>Gets what the budget layer reserved for the call (its worst case), in US dollars, or <see langword="null"/> without budgets.</summary>
    public decimal? BudgetReserved { get => Details.BudgetReserved; init => Details = Details with { BudgetReserved = value }; }

    /// <summary>Gets what the budget layer settled (the call's real cost), or <see langword="null"/> when nothing was settled.</summary>
    public decimal? BudgetSettled { get => Details.BudgetSettled; init => Details = Details with { BudgetSettled = value }; }

    /// <summary>Gets the utilization of the tightest applicable budget before the call, or <see langword="null"/> without budgets.</summary>
    public double? BudgetUtilization { get => Details.BudgetUtilization; init => Details = Details with { BudgetUtilization = value }; }

    /// <summary>Gets what routing decided (tier, model, score, reasons, escalations, top-tier cost), or <see langword="null"/> without routing.</summary>
    public RoutingDecision? Routing { get => Details.Routing; init => Details = Details with { Routing = value }; }

    /// <summary>Gets the loop guard's run step after this call (model calls made so far in the run, this one included), or
    /// <see langword="null"/> when no loop guard tracked a run for the call.</summary>
    public int? RunStep { get => Details.RunStep; init => Details = Details with { RunStep = value }; }

    /// <summary>Gets the tokens used so far in the run, this call included, or <see langword="null"/> without a tracked run.</summary>
    public long? RunTokens { get => Details.RunTokens; init => Details = Details with { RunTokens = value }; }

    /// <summary>Gets the cost so far in the run, this call included, in US dollars, or <see langword="null"/> without a tracked run.</summary>
    public decimal? RunCost { get => Details.RunCost; init => Details = Details with { RunCost = value }; }

    /// <summary>Gets why the call was refused (for example <c>budget-exhausted</c> or <c>cache-only</c>), or <see langword="null"/>.</summary>
    public string? Refusal { get => Details.Refusal; init => Details = Details with { Refusal = value }; }

    /// <summary>Gets the scope levels a budget policy applies at that the call did not carry (for example <see cref="ScopeLevel.Tenant"/>
    /// for a call made without a tenant under a per-tenant budget), whatever <see cref="BudgetOptions.UnscopedCalls"/> then did: under
    /// <see cref="UnscopedCallHandling.Allow"/> the call was counted against no budget at these levels. Empty when none was missing.</summary>
    public IReadOnlyList<ScopeLevel> MissingScopes { get => Details.MissingScopes; init => Details = Details with { MissingScopes = value }; }

    /// <summary>Gets the degradation steps applied to the call, in the order they were applied (empty when none).</summary>
    public IReadOnlyList<string> Degradations { get => Details.Degradations; init => Details = Details with { Degradations = value }; }

    /// <summary>
    /// Gets what layers in shadow mode decided but did not do, such as <c>budget:prefer-cheaper-model</c>,
    /// <c>budget:refuse:budget-exhausted</c>, <c>routing:gpt-4o-mini</c> or <c>cache:exact</c> (see
    /// <see cref="TokenGovernorPipelineBuilder.UseShadowMode"/>). Empty when no layer is in shadow mode.
    /// </summary>
    public IReadOnlyList<string> ShadowActions { get => Details.ShadowActions; init => Details = Details with { ShadowActions = value }; }

    /// <summary>Gets <see cref="Usage"/> and <see cref="Cost"/>, shared with the context that built the record rather than copied.</summary>
    internal BilledUsage Billed { get; init; } = BilledUsage.Zero;

    /// <summary>Gets the fields only some layers fill (cache, budgets, routing, the loop guard), kept out of the record itself so
    /// a bare metered call's record stays small: <see cref="ColdDetails.Empty"/> (shared) when none is set.</summary>
    internal ColdDetails Details { get; init; } = ColdDetails.Empty;

    /// <summary>The record's cold fields, compared by value with the rest of the record.</summary>
    internal sealed record ColdDetails
    {
        /// <summary>Gets the shared instance with every field at its default.</summary>
        public static ColdDetails Empty { get; } = new();

        public CostEstimate? Estimate { get; init; }

        public double? CacheSimilarity { get; init; }

        public decimal CacheCost { get; init; }

        public decimal CostAvoided { get; init; }

        public decimal? BudgetReserved { get; init; }

        public decimal? BudgetSettled { get; init; }

        public double? BudgetUtilization { get; init; }

        public RoutingDecision? Routing { get; init; }

        public int? RunStep { get; init; }

        public long? RunTokens { get; init; }

        public decimal? RunCost { get; init; }

        public string? Refusal { get; init; }

        public IReadOnlyList<ScopeLevel> MissingScopes { get; init; } = [];

        public IReadOnlyList<string> Degradations { get; init; } = [];

        public IReadOnlyList<string> ShadowActions { get; init; } = [];
    }
}
