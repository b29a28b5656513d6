using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenGovernor;

/// <summary>
/// A delegating chat client that admits each call against the budgets that cover it: it applies the degradation ladder for
/// the tightest budget's utilization, reserves the call's worst case, sends it, then settles the real cost (read from the
/// <see cref="CostMeteringChatClient"/> below it) or releases the reservation when nothing was billed.
/// </summary>
/// <remarks>
/// <para>Place it below routing and the cache and directly above cost metering (<c>UseTokenGovernor</c> does). Every reservation
/// is settled or released exactly once: on success, provider error, cancellation, and when a stream is abandoned part-way
/// (what was streamed is settled).</para>
/// <para>The worst case is the prompt counted with the model's tokenizer (inflated by the tokenizer's stated error for models
/// without a public tokenizer) plus the output cap priced at the higher of the output and reasoning rates. When a strict budget
/// cannot afford the requested output cap, the cap is lowered to what it can afford, if that still leaves
/// <see cref="BudgetOptions.MinimumUsefulOutputTokens"/>. The strict no-overspend guarantee holds when the provider honours
/// <c>MaxOutputTokens</c>; a call that costs more than it reserved is settled at its real cost and logged.</para>
/// <para>A call refused by a policy's <see cref="BudgetPolicy.RequestLimit"/> throws <see cref="RateLimitExceededException"/>
/// (a <see cref="BudgetExceededException"/>, with <see cref="RateLimitExceededException.RetryAfter"/>), or gets the fallback
/// response when one is configured; the degradation ladder and the output cap that fits are skipped for it, since neither frees a
/// request slot.</para>
/// </remarks>
public sealed class BudgetChatClient : DelegatingChatClient, IGovernedLayer<BudgetChatClient.Plan>
{
    private const string UnscopedRefusal = "unscoped-call";

    private readonly IBudgetLedger _ledger;
    private readonly CostEstimator _estimator;
    private readonly BudgetOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string? _defaultModelId;
    private readonly GovernorInstruments _instruments;
    private readonly GovernanceServices _services;
    private IBudgetAlertSink[] _alertSinks = [];

    /// <summary>Initializes a new budget client.</summary>
    /// <param name="innerClient">The client below (normally <see cref="CostMeteringChatClient"/>).</param>
    /// <param name="ledger">The ledger that holds the budgets.</param>
    /// <param name="estimator">Prices the worst case of each call.</param>
    /// <param name="options">The options (copied), or <see langword="null"/> for the defaults.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="meterFactory">Creates the <c>TokenGovernor</c> meter.</param>
    public BudgetChatClient(IChatClient innerClient, IBudgetLedger ledger, CostEstimator estimator, BudgetOptions? options = null,
        TimeProvider? timeProvider = null, ILogger? logger = null, System.Diagnostics.Metrics.IMeterFactory? meterFactory = null)
        : base(DeploymentDispatchChatClient.Wrap(innerClient ?? throw new ArgumentNullException(nameof(innerClient))))
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(estimator);
        _options = (options ?? new BudgetOptions()).Clone();
        OptionsValidation.ThrowIfInvalid(new BudgetOptionsValidator(), _options);
        _ledger = ledger;
        _estimator = estimator;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _defaultModelId = innerClient.GetService<ChatClientMetadata>()?.DefaultModelId;
        _instruments = GovernorInstruments.For(meterFactory);
        _services = new GovernanceServices(estimator.Catalog, estimator.Tokens, ledger, _time, estimator: estimator);
    }

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GovernedCall.GetResponseAsync<BudgetChatClient, Plan>(this, InnerClient, messages, options, cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GovernedCall.GetStreamingResponseAsync<BudgetChatClient, Plan>(this, InnerClient, messages, options, cancellationToken);

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(IBudgetLedger) ? _ledger : base.GetService(serviceType, serviceKey);
    }

    GovernanceServices IGovernedLayer<Plan>.Services => _services;

    /// <summary>Hands threshold crossings of this client's ledger and its refusals to <paramref name="sinks"/> (see <see cref="IBudgetAlertSink"/>).</summary>
    internal BudgetChatClient WithAlerts(IBudgetAlertSink[] sinks)
    {
        _alertSinks = sinks;
        BudgetAlerts.Watch(_ledger, sinks, _time, _logger);
        return this;
    }

    async ValueTask<Admission<Plan>> IGovernedLayer<Plan>.AdmitAsync(GovernanceContext context, IList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var plan = await PrepareAsync(messages, options, context, cancellationToken).ConfigureAwait(false);
        return plan.Refusal is not null
            ? Admission<Plan>.Answered(Refuse(context, plan), plan)
            : Admission<Plan>.Send(messages, plan.Options, plan, collectStream: true);
    }

    ValueTask IGovernedLayer<Plan>.CompleteAsync(GovernanceContext context, Admission<Plan> admission, CallOutcome outcome) =>
        FinishAsync(context, admission.State, outcome.Metered, outcome.Response?.Usage, outcome.Response?.ModelId);

    private async ValueTask<Plan> PrepareAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, GovernanceContext context, CancellationToken cancellationToken)
    {
        var effective = options?.Clone() ?? new ChatOptions();
        effective.ModelId ??= context.RequestedModelId ?? _defaultModelId;
        var scope = ScopeFor(context, out var missing);
        if (missing is not null)
        {
            return new Plan(effective, default, null, UnscopedRefusal, null) { Scope = scope, Missing = missing };
        }

        var utilization = _ledger.GetUtilization(scope);
        context.BudgetUtilization = utilization;
        if (_instruments.BudgetUtilization.Enabled)
        {
            _instruments.BudgetUtilization.Record(utilization);
        }

        var shadow = _options.Shadow;
        if (_options.Ladder.Count > 0 && utilization >= _options.Ladder[0].Threshold)
        {
            // In shadow mode the steps change a copy, and are recorded as what would have happened.
            var degradation = new BudgetDegradationContext(scope, utilization, shadow ? effective.Clone() : effective);
            foreach (var step in _options.Ladder)
            {
                if (utilization < step.Threshold)
                {
                    break;
                }

                if (step.ChangesModel && context.ModelRouted)
                {
                    continue; // routing owns the model; it has already applied budget pressure
                }

                if (step.Apply(degradation))
                {
                    if (shadow)
                    {
                        context.AddShadow("budget:" + step.Name);
                    }
                    else
                    {
                        context.AddDegradation(step.Name);
                        CountStep(step.Name);
                        BudgetLog.Degraded(_logger, utilization, scope, step.Name);
                    }
                }

                if (degradation.IsRefused)
                {
                    if (shadow)
                    {
                        context.AddShadow("budget:refuse:" + degradation.RefusalReason);
                        break;
                    }

                    return new Plan(effective, default, null, degradation.RefusalReason, null) { Scope = scope };
                }
            }
        }

        var modelId = effective.ModelId ?? throw new UnknownModelException(null);
        var price = _estimator.Catalog.GetPrice(modelId);
        var tokenizer = _estimator.Tokens.GetTokenizerInfo(modelId);
        var counted = _estimator.Tokens.CountPromptTokens(messages, effective, modelId);
        var prompt = (int)Math.Min(int.MaxValue, Math.Ceiling(counted * (1 + tokenizer.ExpectedRelativeError)));
        var maxOutput = effective.MaxOutputTokens is > 0 ? effective.MaxOutputTokens.Value : price.MaxOutputTokens ?? _options.DefaultMaxOutputTokens;
        var estimate = CostEstimator.Estimate(modelId, price, prompt, maxOutput, tokenizer);
        context.Estimate ??= estimate;

        var result = await _ledger.ReserveAsync(scope, estimate.MaxCost, (long)prompt + maxOutput, cancellationToken).ConfigureAwait(false);
        if (!result.IsGranted && shadow)
        {
            // The call goes ahead without a reservation: its spend is not charged to the budget, which stays full.
            context.AddShadow("budget:refuse:" + RefusalReason(result.Denial!));
            return new Plan(effective, default, estimate, null, null) { Scope = scope };
        }

        // A lower output cap can fit a cost or token budget; it cannot free a request slot, so a rate limit refuses at once.
        if (!result.IsGranted && !result.Denial!.IsRequestLimit && TryAffordableOutput(result.Denial, estimate, prompt) is { } affordable &&
            affordable >= _options.MinimumUsefulOutputTokens && affordable < maxOutput)
        {
            effective.MaxOutputTokens = affordable;
            estimate = CostEstimator.Estimate(modelId, price, prompt, affordable, tokenizer);
            result = await _ledger.ReserveAsync(scope, estimate.MaxCost, (long)prompt + affordable, cancellationToken).ConfigureAwait(false);
            if (result.IsGranted)
            {
                context.AddDegradation("output-capped-to-fit");
                CountStep("output-capped-to-fit");
                context.Estimate = estimate;
            }
        }

        if (!result.IsGranted)
        {
            return new Plan(effective, default, null, RefusalReason(result.Denial!), result.Denial) { Scope = scope };
        }

        context.BudgetReserved = (context.BudgetReserved ?? 0) + estimate.MaxCost;
        return new Plan(effective, result.Reservation, estimate, null, null) { Scope = scope };
    }

    // The scope budgets apply to: the call's own, or under UnscopedCalls the refusal or the default key at each level a policy needs.
    private GovernanceScope ScopeFor(GovernanceContext context, out (ScopeLevel Level, BudgetPolicy Policy)? missing)
    {
        missing = null;
        var scope = context.Scope;
        var policies = _ledger.Policies;
        for (var i = 0; i < policies.Count; i++)
        {
            var policy = policies[i];
            if (policy.Level is not { } level || scope.Get(level) is not null)
            {
                continue;
            }

            // Visible in the record whatever the handling: under Allow, the call escapes this level's budgets.
            context.AddMissingScope(level);
            if (_options.UnscopedCalls == UnscopedCallHandling.Allow)
            {
                continue;
            }

            var name = level switch
            {
                ScopeLevel.Tenant => "tenant",
                ScopeLevel.Feature => "feature",
                ScopeLevel.Session => "session",
                _ => "run",
            };
            if (_options.Shadow)
            {
                // Shadow mode records what would have happened; the call keeps its own scope.
                context.AddShadow(_options.UnscopedCalls == UnscopedCallHandling.Refuse ? "budget:refuse:" + UnscopedRefusal : "budget:scope-defaulted:" + name);
                continue;
            }

            if (_options.UnscopedCalls == UnscopedCallHandling.Refuse)
            {
                missing = (level, policy);
                return scope;
            }

            var key = _options.DefaultScopeKey;
            scope = level switch
            {
                ScopeLevel.Tenant => scope with { Tenant = key },
                ScopeLevel.Feature => scope with { Feature = key },
                ScopeLevel.Session => scope with { Session = key },
                _ => scope with { Run = key },
            };
            context.AddDegradation("scope-defaulted:" + name);
            CountStep("scope-defaulted:" + name);
        }

        return scope;
    }

    private static string RefusalReason(BudgetDenial denial) =>
        denial.IsLedgerUnavailable ? "budget-ledger-unavailable" : denial.IsRequestLimit ? RateLimitExceededException.RateLimitedReason : "budget-exhausted";

    private static int? TryAffordableOutput(BudgetDenial denial, CostEstimate estimate, int prompt)
    {
        if (denial.IsTokenLimit)
        {
            return (int)Math.Clamp(denial.Remaining - prompt, 0, int.MaxValue);
        }

        if (estimate.MaxOutputTokens == 0 || estimate.MaxOutputCost == 0)
        {
            return null;
        }

        var perToken = estimate.MaxOutputCost / estimate.MaxOutputTokens;
        var room = denial.Remaining - estimate.PromptCost;
        return room <= 0 ? 0 : (int)Math.Min(int.MaxValue, decimal.Floor(room / perToken));
    }

    private async ValueTask FinishAsync(GovernanceContext context, Plan plan, MeteredSince metered, UsageDetails? usage, string? modelId)
    {
        decimal? actual = null;
        long tokens = 0;
        if (metered.Metered)
        {
            // Metering below priced every provider call of this attempt: settle exactly what it recorded.
            actual = metered.Cost;
            tokens = metered.Usage.TotalTokens;
        }
        else if (usage is not null)
        {
            // No metering below: price the reported usage here.
            var price = _estimator.Catalog.GetPrice(modelId is not null && _estimator.Catalog.TryGetPrice(modelId, out _) ? modelId : plan.Options.ModelId);
            actual = CostCalculator.Calculate(usage, price).Total;
            tokens = (usage.InputTokenCount ?? 0) + (usage.OutputTokenCount ?? 0);
        }

        if (plan.Reservation.Id == 0)
        {
            return; // shadow mode let an unreserved call through: nothing to settle
        }

        if (actual is { } cost)
        {
            await _ledger.SettleAsync(plan.Reservation, cost, tokens, CancellationToken.None).ConfigureAwait(false);
            context.BudgetSettled = (context.BudgetSettled ?? 0) + cost;
            if (cost > plan.Reservation.Cost)
            {
                BudgetLog.CostAboveReservation(_logger, context.Scope, cost, plan.Reservation.Cost);
            }
        }
        else
        {
            await _ledger.ReleaseAsync(plan.Reservation, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private ChatResponse Refuse(GovernanceContext context, Plan plan)
    {
        var reason = plan.Refusal!;
        context.Refusal = reason;
        if (!context.Degradations().Contains(reason))
        {
            context.AddDegradation(reason);
            CountStep(reason);
        }

        BudgetLog.Refused(_logger, plan.Scope, reason);

        // Alert sinks hear of every refusal, thrown or answered with the fallback response.
        if (_alertSinks.Length > 0)
        {
            var tightest = plan.Denial is null ? _ledger.GetUsage(context.Scope).OrderByDescending(u => u.Utilization).FirstOrDefault() : null;
            BudgetAlerts.Refused(_alertSinks, context.Scope, reason, plan.Denial, tightest, _time.GetUtcNow(), _logger);
        }

        if (_options.FallbackResponse is not { } fallback)
        {
            if (plan.Missing is { } missing)
            {
                throw new UnscopedCallException(plan.Scope, missing.Level, missing.Policy);
            }

            // An unavailable ledger cannot be read either: don't wait on it a second time for the message.
            var usage = plan.Denial is { IsLedgerUnavailable: true } ? [] : _ledger.GetUsage(plan.Scope);
            var binding = plan.Denial is { } d
                ? usage.FirstOrDefault(u => u.Policy == d.Policy && u.Key == d.Key)
                : usage.OrderByDescending(u => u.Utilization).FirstOrDefault();
            if (plan.Denial is { IsRequestLimit: true } rateLimit)
            {
                throw new RateLimitExceededException(plan.Scope, rateLimit, binding);
            }

            throw new BudgetExceededException(plan.Scope, binding, reason, plan.Denial);
        }

        return new ChatResponse([.. fallback.Messages])
        {
            ModelId = fallback.ModelId,
            FinishReason = fallback.FinishReason,
            AdditionalProperties = fallback.AdditionalProperties?.Clone(),
        };
    }

    private void CountStep(string step)
    {
        if (_instruments.Degradations.Enabled)
        {
            _instruments.Degradations.Add(1, new KeyValuePair<string, object?>("token_governor.step", step));
        }
    }

    internal readonly record struct Plan(ChatOptions Options, BudgetReservation Reservation, CostEstimate? Estimate, string? Refusal, BudgetDenial? Denial)
    {
        /// <summary>Gets the scope the budgets were applied to (the call's, with default keys under <see cref="UnscopedCallHandling.AssignDefault"/>).</summary>
        public GovernanceScope Scope { get; init; } = GovernanceScope.Empty;

        /// <summary>Gets the level and policy an unscoped call lacked, when it is refused for it.</summary>
        public (ScopeLevel Level, BudgetPolicy Policy)? Missing { get; init; }
    }

}
