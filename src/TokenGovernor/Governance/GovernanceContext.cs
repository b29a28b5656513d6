using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>
/// The mutable per-call state that TokenGovernor's layers share on the way down and back up, carried in an AsyncLocal
/// so layers never reach into each other. The outermost governance layer creates it and attaches the final
/// <see cref="GovernanceRecord"/>; inner layers add to it.
/// </summary>
internal sealed class GovernanceContext
{
    private static readonly AsyncLocal<GovernanceContext?> s_current = new();
    private static readonly AsyncLocal<object?> s_metering = new();
    private ICostSink[]? _sinks;
    private ILogger? _sinkLogger;
    private ColdState? _cold; // what only some layers set (cache, budgets, routing, the loop guard): allocated on first write
    private BilledUsage _metered = BilledUsage.Zero; // replaced by compare-and-swap, never changed: marks and the record read one snapshot
    private int _published; // 1 once the record went to the sinks
    private bool _shared; // made current at least once: other flows may write to it from then on

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

    public CostEstimate? Estimate { get => _cold?.Estimate; set => Cold.Estimate = value; }

    public CacheStatus Cache { get => _cold?.Cache ?? default; set => Cold.Cache = value; }

    public double? CacheSimilarity { get => _cold?.CacheSimilarity; set => Cold.CacheSimilarity = value; }

    public decimal CostAvoided { get => _cold?.CostAvoided ?? 0m; set => Cold.CostAvoided = value; }

    public decimal? BudgetReserved { get => _cold?.BudgetReserved; set => Cold.BudgetReserved = value; }

    public decimal? BudgetSettled { get => _cold?.BudgetSettled; set => Cold.BudgetSettled = value; }

    public double? BudgetUtilization { get => _cold?.BudgetUtilization; set => Cold.BudgetUtilization = value; }

    public string? Refusal { get => _cold?.Refusal; set => Cold.Refusal = value; }

    public RoutingDecision? Routing { get => _cold?.Routing; set => Cold.Routing = value; }

    /// <summary>Gets or sets the deployment routing chose for the attempt in flight; the dispatcher at the bottom of the pipeline
    /// sends the attempt to its client, below budgets and metering.</summary>
    public ModelDeployment? Deployment { get => _cold?.Deployment; set => Cold.Deployment = value; }

    /// <summary>Gets or sets a value indicating whether a routing layer chose the model; budgets then never change it.</summary>
    public bool ModelRouted { get => _cold?.ModelRouted ?? false; set => Cold.ModelRouted = value; }

    /// <summary>Gets a value indicating whether a metering layer's inner call is in flight in the current flow: a metering layer
    /// reached from inside it (a deployment client built with its own metering) passes through, so each provider call is metered
    /// once. Flow-local, unlike the context: parallel calls below one owner (concurrent tool calls) each meter their own.</summary>
    public static bool InMetering => s_metering.Value is not null;

    /// <summary>Gets or sets the loop guard's run state after this call (step, tokens and cost so far in the run), or <see langword="null"/>.</summary>
    public (int Step, long Tokens, decimal Cost)? Run { get => _cold?.Run; set => Cold.Run = value; }

    // Accumulated over every provider call below the owner.
    public string? ModelId => Volatile.Read(ref _metered).ModelId;

    public string? PricedModelId => Volatile.Read(ref _metered).PricedModelId;

    public TokenUsage Usage => Volatile.Read(ref _metered).Usage;

    public bool UsageEstimated => Volatile.Read(ref _metered).Estimated;

    public CostBreakdown Cost => Volatile.Read(ref _metered).Cost;

    public int ProviderCalls => Volatile.Read(ref _metered).Calls;

    /// <summary>Gets what the cache spent deciding this call (remote embeddings, the grey-band verifier); kept apart from
    /// <see cref="Cost"/> so a layer's <see cref="Since"/> covers provider calls only, and added to the record's cost.</summary>
    public decimal CacheCost => _cold?.CacheCost ?? 0m;

    // The cold state, created by the first write; CompareExchange keeps a concurrent first write from being lost.
    private ColdState Cold => _cold ?? Interlocked.CompareExchange(ref _cold, new ColdState(), null) ?? _cold;

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

    /// <summary>Makes <paramref name="context"/> current until the returned scope is disposed (free when it already is).</summary>
    public static Entered<GovernanceContext?> Enter(GovernanceContext context)
    {
        var previous = s_current.Value;
        if (ReferenceEquals(previous, context))
        {
            return default;
        }

        context._shared = true;
        s_current.Value = context;
        return new(s_current, previous);
    }

    /// <summary>Marks a metering layer's inner call as in flight in this flow (see <see cref="InMetering"/>) until the returned
    /// scope is disposed; with no layer it marks nothing.</summary>
    public static Entered<object?> EnterMetering(object? layer)
    {
        if (layer is null)
        {
            return default;
        }

        var previous = s_metering.Value;
        s_metering.Value = layer;
        return new(s_metering, previous);
    }

    /// <summary>Runs code outside any call's context until the returned scope is disposed: a side call (the cache's verifier)
    /// made through a governed client then gets its own record instead of joining this call's, and is metered by its own metering
    /// layer even inside another metering layer's inner call (the flow's metering mark is lifted too).</summary>
    public static Suspended Suspend()
    {
        var context = s_current.Value;
        var metering = s_metering.Value;
        if (context is not null)
        {
            s_current.Value = null;
        }

        if (metering is not null)
        {
            s_metering.Value = null;
        }

        return new(context, metering);
    }

    /// <summary>Gets a value indicating whether this context was ever made current. One that never was belongs to a call
    /// that found no context current, so no metering layer's inner call is in flight in its flow either: a flow is marked only
    /// inside a layer that made its context current (see <see cref="EnterMetering"/>), and <see cref="Suspend"/> lifts both.</summary>
    public bool EverCurrent => _shared;

    /// <summary>Marks what has been metered so far, so a layer can later read what the calls below it added.</summary>
    public MeteredMark Mark() => new(Volatile.Read(ref _metered));

    /// <summary>What the metering layer recorded since <paramref name="mark"/>; <c>Metered</c> is false when no provider call was metered.</summary>
    public MeteredSince Since(MeteredMark mark) => new(Volatile.Read(ref _metered), mark.Metered); // one snapshot: no lock needed

    public IReadOnlyList<string> Degradations()
    {
        lock (this)
        {
            return _cold?.Degradations is { } degradations ? degradations.ToArray() : [];
        }
    }

    public IReadOnlyList<string> ShadowActions()
    {
        lock (this)
        {
            return _cold?.Shadow is { } shadow ? shadow.ToArray() : [];
        }
    }

    /// <summary>Records what a layer in shadow mode would have done, without doing it.</summary>
    public void AddShadow(string action)
    {
        lock (this)
        {
            (Cold.Shadow ??= []).Add(action);
        }
    }

    /// <summary>Records that a budget policy needed <paramref name="level"/> and the call's scope has none (once per level).</summary>
    public void AddMissingScope(ScopeLevel level)
    {
        lock (this)
        {
            var missing = Cold.MissingScopes ??= [];
            if (!missing.Contains(level))
            {
                missing.Add(level);
            }
        }
    }

    public void AddDegradation(string step)
    {
        lock (this)
        {
            (Cold.Degradations ??= []).Add(step);
        }
    }

    public void AddMetered(string? modelId, string? pricedModelId, in TokenUsage usage, in CostBreakdown cost, bool estimated)
    {
        BilledUsage m, next;
        do
        {
            m = Volatile.Read(ref _metered);
            // The first provider call (the common case) is assigned, not added: each sum walks every component.
            var first = m.Calls == 0;
            next = new BilledUsage(first ? usage : m.Usage + usage, first ? cost : m.Cost + cost)
            {
                Calls = m.Calls + 1,
                RunningTotal = first ? 0m : m.CostTotal + cost.Total,
                ModelId = modelId ?? m.ModelId,
                PricedModelId = pricedModelId ?? m.PricedModelId,
                Estimated = m.Estimated | estimated,
            };
        }
        while (!Replace(m, next));
    }

    /// <summary>Adds what the cache spent deciding this call (an embedding or a verifier call, priced by its own meter).</summary>
    public void AddCacheCost(decimal cost)
    {
        lock (this)
        {
            Cold.CacheCost += cost;
        }
    }

    /// <summary>Records an answer served without a provider call (a cache hit): the model and price of the answer it serves.</summary>
    public void AddServed(string? modelId, string? pricedModelId)
    {
        BilledUsage m;
        do
        {
            m = Volatile.Read(ref _metered);
        }
        while (!Replace(m, m with { ModelId = m.ModelId ?? modelId, PricedModelId = m.PricedModelId ?? pricedModelId }));
    }

    // Lock-free: the snapshot is replaced by compare-and-swap, retried by the caller only when another call below this one (a
    // parallel tool call through the same context) changed it in between; a context never made current has no other writer.
    private bool Replace(BilledUsage seen, BilledUsage next)
    {
        if (!_shared)
        {
            _metered = next;
            return true;
        }

        return ReferenceEquals(Interlocked.CompareExchange(ref _metered, next, seen), seen);
    }

    /// <summary>Adds sinks that receive this call's record when it finishes (each distinct sink once).</summary>
    public void AddSinks(ICostSink[] sinks, ILogger logger)
    {
        if (sinks.Length == 0)
        {
            return;
        }

        lock (this)
        {
            _sinkLogger ??= logger;
            if (_sinks is null)
            {
                _sinks = sinks;
                return;
            }

            if (!ReferenceEquals(_sinks, sinks))
            {
                _sinks = [.. _sinks.Union(sinks)];
            }
        }
    }

    /// <summary>
    /// Builds the call's one record and delivers it to the sinks, once: the outermost governed layer calls it when the call
    /// ends (completed, or failed or abandoned after spending).
    /// </summary>
    public GovernanceRecord Finish(DateTimeOffset end)
    {
        // The metered snapshot is read without a lock; the lock is taken only when some layer wrote cold state, whose lists
        // another thread may still be adding to.
        GovernanceRecord record;
        if (Volatile.Read(ref _cold) is { } cold)
        {
            lock (this)
            {
                record = Build(end, cold);
            }
        }
        else
        {
            record = Build(end, null);
        }

        var published = _shared ? Interlocked.Exchange(ref _published, 1) : _published;
        _published = 1;
        if (published == 0 && Volatile.Read(ref _sinks) is { } sinks)
        {
            CostSinks.Publish(sinks, record, _sinkLogger!);
        }

        return record;
    }

    // The one record of the whole call, as it stands at end; called under the lock when there is cold state.
    private GovernanceRecord Build(DateTimeOffset end, ColdState? cold)
    {
        var m = Volatile.Read(ref _metered);
        var cacheCost = cold?.CacheCost ?? 0m;
        var cost = m.Cost;
        return new()
        {
            Timestamp = Start,
            Duration = end - Start,
            Scope = Scope,
            Streaming = Streaming,
            RequestedModelId = RequestedModelId,
            ModelId = m.ModelId ?? RequestedModelId,
            PricedModelId = m.PricedModelId,
            // Shared with the context, not copied, unless the cache's spending is added to the cost.
            Billed = cacheCost == 0m ? m : new BilledUsage(m.Usage,
                cost + new CostBreakdown(cacheCost, 0m, 0m, 0m, 0m) { ServiceTier = cost.ServiceTier, LongContextThresholdTokens = cost.LongContextThresholdTokens }),
            UsageEstimated = m.Estimated,
            ProviderCalls = m.Calls,
            Cache = cold?.Cache ?? default,
            Details = cold is null ? GovernanceRecord.ColdDetails.Empty : new GovernanceRecord.ColdDetails
            {
                Estimate = cold.Estimate,
                CacheSimilarity = cold.CacheSimilarity,
                CacheCost = cacheCost,
                CostAvoided = cold.CostAvoided,
                BudgetReserved = cold.BudgetReserved,
                BudgetSettled = cold.BudgetSettled,
                BudgetUtilization = cold.BudgetUtilization,
                Refusal = cold.Refusal,
                Routing = cold.Routing,
                RunStep = cold.Run?.Step,
                RunTokens = cold.Run?.Tokens,
                RunCost = cold.Run?.Cost,
                Degradations = cold.Degradations is null ? [] : cold.Degradations.ToArray(),
                MissingScopes = cold.MissingScopes is null ? [] : cold.MissingScopes.ToArray(),
                ShadowActions = cold.Shadow is null ? [] : cold.Shadow.ToArray(),
            },
        };
    }

    /// <summary>What had been metered when a layer sent its call inward.</summary>
    internal readonly record struct MeteredMark(BilledUsage Metered);

    /// <summary>The state only some layers write (cache, budgets, routing, the loop guard): a bare metered call never allocates it.</summary>
    private sealed class ColdState
    {
        public CostEstimate? Estimate;
        public CacheStatus Cache;
        public double? CacheSimilarity;
        public decimal CostAvoided;
        public decimal? BudgetReserved;
        public decimal? BudgetSettled;
        public double? BudgetUtilization;
        public string? Refusal;
        public RoutingDecision? Routing;
        public ModelDeployment? Deployment;
        public bool ModelRouted;
        public (int Step, long Tokens, decimal Cost)? Run;
        public decimal CacheCost;
        public List<string>? Shadow;
        public List<string>? Degradations;
        public List<ScopeLevel>? MissingScopes;
    }

    /// <summary>Puts back the context and the metering mark that <see cref="Suspend"/> lifted.</summary>
    internal readonly struct Suspended(GovernanceContext? context, object? metering) : IDisposable
    {
        public void Dispose()
        {
            if (context is not null)
            {
                s_current.Value = context;
            }

            if (metering is not null)
            {
                s_metering.Value = metering;
            }
        }
    }

    /// <summary>Puts back an AsyncLocal's earlier value when disposed; the default value restores nothing.</summary>
    internal readonly struct Entered<T>(AsyncLocal<T>? local, T previous) : IDisposable
    {
        public void Dispose()
        {
            if (local is not null)
            {
                local.Value = previous;
            }
        }
    }
}
