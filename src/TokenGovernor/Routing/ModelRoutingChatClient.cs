using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenGovernor;

/// <summary>
/// A delegating chat client that sends each call to the cheapest model tier that is good enough: it classifies the request,
/// then applies, in order, a per-call pin, reasoning gating (only requests that need reasoning reach reasoning tiers or keep
/// <c>ReasoningOptions</c>), budget pressure (one tier cheaper when the ledger says so) and context-window fit; it fails over
/// between a tier's deployments on transient errors (honouring <c>Retry-After</c>) and escalates one tier up on errors, empty
/// or truncated answers, or a failed quality check.
/// </summary>
/// <remarks>
/// <para>Place it below the cache and above budgets and metering (<c>UseTokenGovernor</c> does), so every attempt, escalations
/// included, is reserved and metered. The decision is in <see cref="GovernanceRecord.Routing"/>, with what the same usage would
/// have cost on the top tier. Streaming routes identically; it fails over before the first chunk, and does not escalate on the
/// content of an answer already streamed.</para>
/// <para>Interoperates with M.E.AI: deployments may be any <see cref="IChatClient"/>, including M.E.AI's own routing or failover
/// clients. Thread-safe.</para>
/// </remarks>
public sealed class ModelRoutingChatClient : DelegatingChatClient, IGovernedLayer<ModelRoutingChatClient.Route>
{
    internal const string NoTiersMessage =
        "Model routing has no tiers, and it never picks models of its own (they might not exist at your provider). " +
        "Add your provider's models to RoutingOptions.Tiers (o.Tiers.Add(ModelTier.Of(\"Small\", \"your-cheap-model\"))), " +
        "call o.UseOpenAITiers() for an OpenAI client, or list them in configuration under TokenGovernor:Routing:Tiers.";

    private readonly RoutingOptions _options;
    private readonly ModelTier[] _tiers;
    private readonly string[] _tierNames;
    private readonly PriceCatalog _catalog;
    private readonly ITokenEstimator _tokens;
    private readonly IBudgetLedger? _ledger;
    private readonly RoutingSavingsTracker? _savings;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GovernanceServices _services;
    private readonly bool _dispatchBelow;

    /// <summary>Initializes a new router.</summary>
    /// <param name="innerClient">The shared client for deployments without their own client (normally budgets → metering → provider).</param>
    /// <param name="options">The options (tiers are copied), or <see langword="null"/> for the defaults.</param>
    /// <param name="catalog">Prices and context windows; defaults to <see cref="PriceCatalog.BuiltIn"/>.</param>
    /// <param name="tokenEstimator">Counts prompts for context fit.</param>
    /// <param name="ledger">Budget utilization for budget pressure, or <see langword="null"/>.</param>
    /// <param name="savings">Receives routed cost versus top-tier cost per feature, or <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock (for <c>Retry-After</c> waits).</param>
    /// <param name="logger">The logger.</param>
    public ModelRoutingChatClient(IChatClient innerClient, RoutingOptions? options = null, PriceCatalog? catalog = null, ITokenEstimator? tokenEstimator = null,
        IBudgetLedger? ledger = null, RoutingSavingsTracker? savings = null, TimeProvider? timeProvider = null, ILogger? logger = null)
        : base(innerClient)
    {
        _options = (options ?? new RoutingOptions()).Clone();
        OptionsValidation.ThrowIfInvalid(new RoutingOptionsValidator(), _options);
        _tiers = [.. _options.Tiers];
        _tierNames = [.. _tiers.Select(t => t.Name)];
        if (_tiers.Length == 0)
        {
            throw new ArgumentException(NoTiersMessage, nameof(options));
        }

        _options.ResolveLearnedRouter(_tierNames);
        if (_tiers.FirstOrDefault(t => t.Deployments.Count == 0) is { } empty)
        {
            throw new ArgumentException($"RoutingOptions.Tiers: tier '{empty.Name}' has no deployment; give it at least one model id.", nameof(options));
        }

        _catalog = catalog ?? PriceCatalog.BuiltIn;
        _tokens = tokenEstimator ?? TiktokenTokenEstimator.Default;
        _ledger = ledger;
        _savings = savings;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _services = new GovernanceServices(_catalog, _tokens, _ledger, _time);
        _dispatchBelow = innerClient.GetService<DeploymentDispatchChatClient>() is not null;
    }

    // How long to wait before the next deployment: the Retry-After, up to MaxFailoverDelay. A request limit of the budgets below
    // counts per scope, not per deployment, so waiting less than its Retry-After cannot help: fail over at once (the next attempt
    // is refused before any provider call) and let the caller see when to retry.
    private TimeSpan? FailoverDelay(Exception ex)
    {
        if (_options.RetryAfter(ex) is not { } wait || wait <= TimeSpan.Zero)
        {
            return null;
        }

        return wait <= _options.MaxFailoverDelay ? wait : ex is RateLimitExceededException ? null : _options.MaxFailoverDelay;
    }

    /// <summary>Decides the starting tier of a request without calling anything (for previews and tests).</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options.</param>
    /// <returns>The tier index and the reasons.</returns>
    public (int Tier, ComplexityAssessment Assessment, IReadOnlyList<string> Reasons) Decide(IList<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var (tier, assessment, reasons) = DecideCore(messages, options, _options.Classifier.Classify(messages, options, _tiers.Length));
        return (tier, assessment, reasons);
    }

    private async ValueTask<(int Tier, ComplexityAssessment Assessment, List<string> Reasons)> DecideAsync(IList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var assessment = _options.AsyncClassifier is { } classifier
            ? await classifier.ClassifyAsync(messages, options, _tierNames, cancellationToken).ConfigureAwait(false)
            : _options.Classifier.Classify(messages, options, _tiers.Length);
        return DecideCore(messages, options, assessment);
    }

    private (int Tier, ComplexityAssessment Assessment, List<string> Reasons) DecideCore(IList<ChatMessage> messages, ChatOptions? options, ComplexityAssessment assessment)
    {
        var scope = GovernanceContext.Current?.Scope ?? GovernanceScope.Resolve(options);
        var reasons = new List<string>(assessment.Signals);
        if (Pinned(options) is { } pinned)
        {
            reasons.Add("pinned:" + _tiers[pinned].Name);
            return (pinned, assessment, reasons);
        }

        var tier = Math.Clamp(assessment.Tier, 0, _tiers.Length - 1);
        if (assessment.NeedsReasoning && !_tiers[tier].IsReasoning && Array.FindIndex(_tiers, t => t.IsReasoning) is var r and >= 0)
        {
            tier = r;
            reasons.Add("needs-reasoning");
        }
        else if (!assessment.NeedsReasoning && _tiers[tier].IsReasoning && Array.FindLastIndex(_tiers, tier, t => !t.IsReasoning) is var plain and >= 0)
        {
            tier = plain;
            reasons.Add("reasoning-gated");
        }

        if (_options.PreferCheaperAt is { } pressure && _ledger is not null && tier > 0 && _ledger.GetUtilization(scope) >= pressure)
        {
            tier--;
            reasons.Add("budget-pressure");
        }

        // Context fit: the prompt plus the output cap must fit the tier's model, else move up.
        var prompt = -1;
        while (tier < _tiers.Length - 1 && _catalog.TryGetPrice(_tiers[tier].Deployments[0].ModelId, out var price) && price.ContextWindow is { } window)
        {
            prompt = prompt >= 0 ? prompt : _tokens.CountPromptTokens(messages, options, _tiers[tier].Deployments[0].ModelId);
            if (prompt + (options?.MaxOutputTokens ?? 0) <= window)
            {
                break;
            }

            tier++;
            reasons.Add("context-fit");
        }

        return (tier, assessment, reasons);
    }

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GovernedCall.GetResponseAsync<ModelRoutingChatClient, Route>(this, InnerClient, messages, options, cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GovernedCall.GetStreamingResponseAsync<ModelRoutingChatClient, Route>(this, InnerClient, messages, options, cancellationToken);

    GovernanceServices IGovernedLayer<Route>.Services => _services;

    async ValueTask<Admission<Route>> IGovernedLayer<Route>.AdmitAsync(GovernanceContext context, IList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        if (PinnedModel(options) is { } model)
        {
            context.ModelRouted = true;
            var pinned = new Route(options, -1, new ComplexityAssessment(0, 0, false, []), ["pinned-model"]) { ModelId = model };
            return Admission<Route>.Send(messages, WithModel(options, model), pinned, collectStream: true);
        }

        var (tier, assessment, reasons) = await DecideAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var route = new Route(options, tier, assessment, reasons) { ModelId = _tiers[tier].Deployments[0].ModelId };
        if (_options.Shadow)
        {
            // Shadow mode: record the model routing would have chosen; the request goes through as the application sent it.
            context.AddShadow("routing:" + route.ModelId);
            return Admission<Route>.Send(messages, options, route with { Shadow = true });
        }

        context.ModelRouted = true;
        return Admission<Route>.Send(messages, options, route, collectStream: true);
    }

    async Task<ChatResponse> IGovernedLayer<Route>.SendAsync(IChatClient inner, GovernanceContext context, Admission<Route> admission, CancellationToken cancellationToken)
    {
        var route = admission.State;
        if (route.Shadow || route.Tier < 0)
        {
            return await inner.GetResponseAsync(admission.Messages, admission.Options, cancellationToken).ConfigureAwait(false);
        }

        var list = admission.Messages;
        var options = admission.Options;
        while (true)
        {
            ChatResponse? response = null;
            Exception? failure = null;
            var deployments = _tiers[route.Tier].Deployments;
            for (var d = 0; d < deployments.Count; d++)
            {
                var deployment = deployments[d];
                route.ModelId = deployment.ModelId;
                try
                {
                    response = await Dispatch(context, deployment, inner).GetResponseAsync(list, Options(options, deployment, route.Tier, route.Assessment), cancellationToken).ConfigureAwait(false);
                    failure = null;
                    break;
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && _options.IsTransient(ex))
                {
                    failure = ex;
                    route.Reasons.Add("failover:" + deployment.ModelId);
                    RoutingLog.FailedOver(_logger, deployment.ModelId, ex.Message);
                    if (d < deployments.Count - 1 && FailoverDelay(ex) is { } wait)
                    {
                        await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            var why = failure is not null ? "error" : Deficiency(response!);
            if (why is not null && route.Escalations < _options.MaxEscalations && route.Tier < _tiers.Length - 1)
            {
                route.Escalations++;
                route.Tier++;
                route.Reasons.Add("escalated:" + why);
                RoutingLog.Escalated(_logger, _tiers[route.Tier].Name, why);
                continue;
            }

            if (failure is not null)
            {
                throw failure;
            }

            return response!;
        }
    }

    IAsyncEnumerable<ChatResponseUpdate> IGovernedLayer<Route>.SendStreamingAsync(IChatClient inner, GovernanceContext context, Admission<Route> admission, CancellationToken cancellationToken) =>
        admission.State.Shadow || admission.State.Tier < 0
            ? inner.GetStreamingResponseAsync(admission.Messages, admission.Options, cancellationToken)
            : StreamWithFailoverAsync(inner, context, admission, cancellationToken);

    ValueTask IGovernedLayer<Route>.CompleteAsync(GovernanceContext context, Admission<Route> admission, CallOutcome outcome)
    {
        var route = admission.State;
        if (!route.Shadow && outcome.Received && outcome.Response is { } response)
        {
            Record(context, route, response, outcome.Metered);
        }

        return default;
    }

    /// <summary>
    /// The client an attempt goes to: always the inner pipeline (budgets → metering → dispatcher) when a dispatcher is below, so a
    /// deployment's own client is called by the dispatcher, under budgets and metering; the deployment's client directly only in a
    /// pipeline with neither budgets nor metering below.
    /// </summary>
    private IChatClient Dispatch(GovernanceContext context, ModelDeployment deployment, IChatClient inner)
    {
        context.Deployment = deployment;
        return _dispatchBelow || deployment.Client is null ? inner : deployment.Client;
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamWithFailoverAsync(IChatClient inner, GovernanceContext context, Admission<Route> admission,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var route = admission.State;
        var deployments = _tiers[route.Tier].Deployments;
        for (var d = 0; d < deployments.Count; d++)
        {
            route.ModelId = deployments[d].ModelId;
            var enumerator = Dispatch(context, deployments[d], inner)
                .GetStreamingResponseAsync(admission.Messages, Options(admission.Options, deployments[d], route.Tier, route.Assessment), cancellationToken)
                .GetAsyncEnumerator(cancellationToken);
            bool first;
            try
            {
                // Fail over only before the first chunk: after it, the caller has content from this deployment.
                first = await enumerator.MoveNextAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && _options.IsTransient(ex) && d < deployments.Count - 1)
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
                route.Reasons.Add("failover:" + route.ModelId);
                RoutingLog.FailedOver(_logger, route.ModelId, ex.Message);
                if (FailoverDelay(ex) is { } wait)
                {
                    await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            try
            {
                if (first)
                {
                    do
                    {
                        yield return enumerator.Current;
                    }
                    while (await enumerator.MoveNextAsync().ConfigureAwait(false));
                }
            }
            finally
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }

            yield break;
        }
    }

    private ChatOptions Options(ChatOptions? options, ModelDeployment deployment, int tier, ComplexityAssessment assessment)
    {
        var clone = WithModel(options, deployment.ModelId);
        if (!assessment.NeedsReasoning && !_tiers[tier].IsReasoning)
        {
            clone.Reasoning = null; // reasoning gating: ordinary requests do not pay for reasoning
        }

        return clone;
    }

    private static ChatOptions WithModel(ChatOptions? options, string model)
    {
        var clone = options?.Clone() ?? new ChatOptions();
        clone.ModelId = model;
        return clone;
    }

    private string? Deficiency(ChatResponse response)
    {
        if (response.FinishReason == ChatFinishReason.Length)
        {
            return "truncated";
        }

        var hasCall = response.Messages.Any(m => m.Contents.Any(c => c is FunctionCallContent));
        if (!hasCall && string.IsNullOrWhiteSpace(response.Text))
        {
            return "empty";
        }

        if (response.FinishReason == ChatFinishReason.ContentFilter)
        {
            return "refused";
        }

        return _options.QualityCheck is { } check && !hasCall && !check(response) ? "quality" : null;
    }

    private int? Pinned(ChatOptions? options)
    {
        if (options?.AdditionalProperties?.TryGetValue(RoutingOptions.PinTierKey, out var value) == true && value?.ToString() is { } name)
        {
            var index = Array.FindIndex(_tiers, t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase));
            return index >= 0 ? index : throw new ArgumentException($"ChatOptions.AdditionalProperties['{RoutingOptions.PinTierKey}'] names tier '{name}', which is not configured; use one of: {string.Join(", ", _tiers.Select(t => t.Name))}.", nameof(options));
        }

        return null;
    }

    private static string? PinnedModel(ChatOptions? options) =>
        options?.AdditionalProperties?.TryGetValue(RoutingOptions.PinModelKey, out var value) == true ? value?.ToString() : null;

    private void Record(GovernanceContext context, Route route, ChatResponse response, MeteredSince metered)
    {
        var usage = metered.Metered ? metered.Usage : response.Usage is { } u ? UsageConvention.OpenAI.Normalize(u) : default;
        var actual = metered.Metered ? metered.Cost
            : _catalog.TryGetPrice(route.ModelId, out var p) ? CostCalculator.Calculate(usage, p).Total : 0m;
        var top = _tiers[^1].Deployments[0].ModelId;
        var topCost = _catalog.TryGetPrice(top, out var topPrice) ? CostCalculator.Calculate(usage, topPrice).Total : actual;
        var tierName = route.Tier < 0 ? "pinned" : _tiers[route.Tier].Name;
        context.Routing = new RoutingDecision(route.Requested?.ModelId, tierName, route.ModelId, route.Assessment.Score, route.Reasons, route.Escalations, topCost);
        _savings?.Add(context.Scope.Feature, tierName, actual, topCost);
    }

    /// <summary>One routed call: the tier it is on (−1 when pinned to a model), why, and the model of the attempt in flight.</summary>
    internal sealed record Route(ChatOptions? Requested, int Tier, ComplexityAssessment Assessment, List<string> Reasons)
    {
        public int Tier { get; set; } = Tier;

        public string ModelId { get; set; } = "";

        public int Escalations { get; set; }

        public bool Shadow { get; init; }
    }
}
