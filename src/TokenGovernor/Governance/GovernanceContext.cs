using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// The mutable per-call state that TokenGovernor's layers share on the way down and back up, carried in an AsyncLocal
/// so layers never reach into each other. The outermost governance layer creates it and attaches the final
/// <see cref="GovernanceRecord"/>; inner layers add to it.
/// </summary>
internal sealed class GovernanceContext
{
    private static readonly AsyncLocal<GovernanceContext?> s_current = new();
    private readonly object _gate = new();
    private List<string>? _shadow;
    private List<string>? _degradations;

    public GovernanceContext(GovernanceScope scope, DateTimeOffset start, bool streaming)
    {
        Scope = scope;
        Start = start;
        Streaming = streaming;
    }

    public static GovernanceContext? Current => s_current.Value;

    public GovernanceScope Scope { get; }

    public DateTimeOffset Start { get; }

    public bool Streaming { get; }

    public string? RequestedModelId { get; set; }

    public CostEstimate? Estimate { get; set; }

    public CacheStatus Cache { get; set; }

    public double? CacheSimilarity { get; set; }

    public decimal CostAvoided { get; set; }

    public decimal? BudgetReserved { get; set; }

    public decimal? BudgetSettled { get; set; }

    public double? BudgetUtilisation { get; set; }

    public string? Refusal { get; set; }

    public RoutingDecision? Routing { get; set; }

    // Accumulated over every provider call below the owner.
    public string? ModelId { get; private set; }

    public string? PricedModelId { get; private set; }

    public TokenUsage Usage { get; private set; }

    public bool UsageEstimated { get; private set; }

    public CostBreakdown Cost { get; private set; }

    public int ProviderCalls { get; private set; }

    /// <summary>Joins the current call's context, or starts one when this layer is the outermost governance layer.</summary>
    public static GovernanceContext JoinOrCreate(ChatOptions? options, TimeProvider time, bool streaming, out bool owner)
    {
        var current = s_current.Value;
        owner = current is null;
        return current ?? new GovernanceContext(GovernanceScope.Resolve(options), time.GetUtcNow(), streaming)
        {
            RequestedModelId = options?.ModelId,
        };
    }

    public static Entered Enter(GovernanceContext context)
    {
        var previous = s_current.Value;
        s_current.Value = context;
        return new Entered(previous);
    }

    /// <summary>Marks what has been metered so far, so a layer can later read what the calls below it added.</summary>
    public MeteredMark Mark()
    {
        lock (_gate)
        {
            return new MeteredMark(ProviderCalls, Cost.Total, Usage);
        }
    }

    /// <summary>What the metering layer recorded since <paramref name="mark"/>; <c>Metered</c> is false when no provider call was metered.</summary>
    public (bool Metered, decimal Cost, TokenUsage Usage) Since(MeteredMark mark)
    {
        lock (_gate)
        {
            return (ProviderCalls > mark.Calls, Cost.Total - mark.Cost, Usage - mark.Usage);
        }
    }

    public IReadOnlyList<string> Degradations()
    {
        lock (_gate)
        {
            return _degradations is null ? [] : _degradations.ToArray();
        }
    }

    public IReadOnlyList<string> ShadowActions()
    {
        lock (_gate)
        {
            return _shadow is null ? [] : _shadow.ToArray();
        }
    }

    /// <summary>Records what a layer in shadow mode would have done, without doing it.</summary>
    public void AddShadow(string action)
    {
        lock (_gate)
        {
            (_shadow ??= []).Add(action);
        }
    }

    public void AddDegradation(string step)
    {
        lock (_gate)
        {
            (_degradations ??= []).Add(step);
        }
    }

    public void AddMetered(string? modelId, string? pricedModelId, TokenUsage usage, CostBreakdown cost, bool estimated)
    {
        lock (_gate)
        {
            ModelId = modelId ?? ModelId;
            PricedModelId = pricedModelId ?? PricedModelId;
            Usage += usage;
            Cost += cost;
            UsageEstimated |= estimated;
            ProviderCalls++;
        }
    }

    public GovernanceRecord ToRecord(DateTimeOffset end)
    {
        lock (_gate)
        {
            return new GovernanceRecord
            {
                Timestamp = Start,
                Duration = end - Start,
                Scope = Scope,
                Streaming = Streaming,
                RequestedModelId = RequestedModelId,
                ModelId = ModelId ?? RequestedModelId,
                PricedModelId = PricedModelId,
                Estimate = Estimate,
                Usage = Usage,
                UsageEstimated = UsageEstimated,
                Cost = Cost,
                ProviderCalls = ProviderCalls,
                Cache = Cache,
                CacheSimilarity = CacheSimilarity,
                CostAvoided = CostAvoided,
                BudgetReserved = BudgetReserved,
                BudgetSettled = BudgetSettled,
                BudgetUtilisation = BudgetUtilisation,
                Refusal = Refusal,
                Routing = Routing,
                Degradations = _degradations is null ? [] : _degradations.ToArray(),
                ShadowActions = _shadow is null ? [] : _shadow.ToArray(),
            };
        }
    }

    internal readonly record struct MeteredMark(int Calls, decimal Cost, TokenUsage Usage);

    internal readonly struct Entered(GovernanceContext? previous) : IDisposable
    {
        public void Dispose() => s_current.Value = previous;
    }
}
