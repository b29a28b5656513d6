using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TokenGovernor;

/// <summary>
/// A delegating chat client that prices the usage the provider reports, for the model that actually answered, and
/// publishes it: to <see cref="ICostSink"/>s, to the <c>TokenGovernor</c> meter, and onto the response
/// (<see cref="GovernanceExtensions.GetGovernance(ChatResponse)"/>).
/// </summary>
/// <remarks>
/// <para>Place it innermost, directly above the provider client, so that every provider round trip (tool loops, retries,
/// escalations) is metered once.</para>
/// <para>The model that answered is <c>ChatResponse.ModelId</c>, else the requested model (<c>ChatOptions.ModelId</c>, else the
/// client's <see cref="ChatClientMetadata.DefaultModelId"/>, else <see cref="CostMeteringOptions.DefaultModelId"/>). A call whose
/// requested model cannot be priced fails <em>before</em> it is sent (under <see cref="UnknownModelPolicy.Throw"/>), so nothing is
/// spent unmetered.</para>
/// <para>Streaming: usage is read from the provider's raw usage events when the client names a known provider (Anthropic's
/// <c>message_start</c>/<c>message_delta</c>, so 1-hour cache writes and web searches are priced as in a non-streamed response),
/// else from the stream's <see cref="UsageContent"/>; when the stream ends, is cancelled or is abandoned,
/// what was received is metered in a <c>finally</c>, so partial streams still count. A completed stream ends with one extra
/// update that carries the <see cref="GovernanceRecord"/> and no content. When the provider sends no usage, it is estimated with
/// the tokenizer and flagged.</para>
/// <para>Thread-safe: one instance serves concurrent calls.</para>
/// </remarks>
public sealed class CostMeteringChatClient : DelegatingChatClient, IGovernedLayer<CostMeteringChatClient.MeteringCall>
{
    private readonly PriceCatalog _catalog;
    private readonly CostMeteringOptions _options;
    private readonly ICostSink[] _sinks;
    private readonly ITokenEstimator _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GovernorInstruments _instruments;
    private readonly string? _defaultModelId;
    private readonly GovernanceServices _services;
    private readonly ProviderUsageFormat _rawFormat;
    private readonly bool _sharesContext;

    /// <summary>Initializes a new metering client.</summary>
    /// <param name="innerClient">The provider client.</param>
    /// <param name="catalog">The prices.</param>
    /// <param name="options">The options (copied), or <see langword="null"/> for the defaults.</param>
    /// <param name="sinks">Sinks that receive every metered call, in addition to <see cref="CostMeteringOptions.Sinks"/>.</param>
    /// <param name="tokenEstimator">Estimates usage the provider did not report; defaults to <see cref="TiktokenTokenEstimator.Default"/>.</param>
    /// <param name="timeProvider">The clock; defaults to <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="meterFactory">Creates the <c>TokenGovernor</c> meter; without one a process-wide meter is used.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public CostMeteringChatClient(
        IChatClient innerClient,
        PriceCatalog catalog,
        CostMeteringOptions? options = null,
        IEnumerable<ICostSink>? sinks = null,
        ITokenEstimator? tokenEstimator = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null,
        IMeterFactory? meterFactory = null)
        : base(DeploymentDispatchChatClient.Wrap(innerClient ?? throw new ArgumentNullException(nameof(innerClient))))
    {
        ArgumentNullException.ThrowIfNull(catalog);
        _options = (options ?? new CostMeteringOptions()).Clone();
        OptionsValidation.ThrowIfInvalid(new CostMeteringOptionsValidator(), _options);
        _catalog = catalog;
        _sinks = [.. _options.Sinks, .. sinks ?? []];
        _tokens = tokenEstimator ?? TiktokenTokenEstimator.Default;
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _instruments = GovernorInstruments.For(meterFactory);
        var metadata = innerClient.GetService<ChatClientMetadata>();
        _defaultModelId = metadata?.DefaultModelId ?? _options.DefaultModelId;
        _rawFormat = RawUsagePricing.FormatFor(metadata?.ProviderName);
        catalog.WarnIfStale(_logger, _time);
        _services = new GovernanceServices(catalog, _tokens, time: _time, sinks: _sinks);
        // Placed innermost (as it should be), nothing below reads the context of a call this layer owns (one it meters alone).
        _sharesContext = IGovernanceContextReader.Below(InnerClient);
    }

    /// <summary>Gets the services this layer shares with its pipeline.</summary>
    GovernanceServices IGovernedLayer<MeteringCall>.Services => _services;

    /// <summary>Gets a value indicating whether a governed client below this one reads the context.</summary>
    bool IGovernedLayer<MeteringCall>.SharesContext => _sharesContext;

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GovernedCall.GetResponseAsync<CostMeteringChatClient, MeteringCall>(this, InnerClient, messages, options, cancellationToken);

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GovernedCall.GetStreamingResponseAsync<CostMeteringChatClient, MeteringCall>(this, InnerClient, messages, options, cancellationToken);

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(PriceCatalog) ? _catalog : base.GetService(serviceType, serviceKey);
    }

    ValueTask<Admission<MeteringCall>> IGovernedLayer<MeteringCall>.AdmitAsync(GovernanceContext context, IList<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        // A second metering layer below the first (a deployment client built with its own UseCostMetering) passes through:
        // every provider call is metered once. A context never made current (this layer owns it and nothing below reads it)
        // cannot be inside another metering layer's inner call, so the flow-local mark is not read then.
        if (context.EverCurrent && GovernanceContext.InMetering)
        {
            return new(Admission<MeteringCall>.Send(messages, options, new MeteringCall(null, PassThrough: true)));
        }

        var requested = ResolveRequestedModel(options);
        context.AddSinks(_sinks, _logger);
        // A known provider's stream is read for its raw usage as it passes (see SendStreamingAsync).
        var streamed = _rawFormat == ProviderUsageFormat.Auto ? null : new StreamedProviderUsage(_rawFormat);
        return new(Admission<MeteringCall>.Send(messages, options, new MeteringCall(requested, PassThrough: false, streamed), collectStream: true));
    }

    // Where a metering layer can be reached from inside this one's inner call (a governed client below, or a deployment routing
    // chose with a client of its own), the inner call runs marked as metered in this flow (see GovernanceContext.InMetering), and
    // that layer passes through. Placed innermost over the default client, as it should be, nothing is marked.
    private bool MarksFlow(GovernanceContext context, Admission<MeteringCall> admission) =>
        !admission.State.PassThrough && (_sharesContext || context.Deployment is { Client: not null });

    Task<ChatResponse> IGovernedLayer<MeteringCall>.SendAsync(IChatClient inner, GovernanceContext context, Admission<MeteringCall> admission, CancellationToken cancellationToken)
    {
        using (GovernanceContext.EnterMetering(MarksFlow(context, admission) ? this : null))
        {
            return inner.GetResponseAsync(admission.Messages, admission.Options, cancellationToken);
        }
    }

    IAsyncEnumerable<ChatResponseUpdate> IGovernedLayer<MeteringCall>.SendStreamingAsync(IChatClient inner, GovernanceContext context, Admission<MeteringCall> admission, CancellationToken cancellationToken)
    {
        var mark = MarksFlow(context, admission); // before the dispatcher below takes the deployment
        var stream = inner.GetStreamingResponseAsync(admission.Messages, admission.Options, cancellationToken);
        var streamed = admission.State.Streamed;
        return streamed is null && !mark ? stream : ReadThrough(stream, streamed, mark ? this : null, cancellationToken);
    }

    // The coalesced response of a stream carries no raw body, so the provider's usage events (Anthropic's message_start and
    // message_delta, with cache writes by TTL and web searches) are read from each update's raw representation on the way through;
    // and each step of the inner stream runs marked as metered in this flow where MarksFlow says so.
    private static async IAsyncEnumerable<ChatResponseUpdate> ReadThrough(
        IAsyncEnumerable<ChatResponseUpdate> stream, StreamedProviderUsage? streamed, object? meteringLayer, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var e = stream.GetAsyncEnumerator(cancellationToken);
        try
        {
            while (true)
            {
                bool more;
                using (GovernanceContext.EnterMetering(meteringLayer))
                {
                    more = await e.MoveNextAsync().ConfigureAwait(false);
                }

                if (!more)
                {
                    break;
                }

                streamed?.Add(e.Current.RawRepresentation);
                yield return e.Current;
            }
        }
        finally
        {
            using (GovernanceContext.EnterMetering(meteringLayer))
            {
                await e.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    ValueTask IGovernedLayer<MeteringCall>.CompleteAsync(GovernanceContext context, Admission<MeteringCall> admission, CallOutcome outcome)
    {
        var call = admission.State;
        if (call.PassThrough)
        {
            return default;
        }

        // A call that failed before anything arrived was rejected by the provider (HTTP error, rate limit) and is not billed;
        // once anything arrived (a response, or part of a stream), what was received is metered.
        if (outcome.Received && outcome.Response is { } response)
        {
            Meter(context, admission.Messages, admission.Options, call.Requested, response, call.Streamed?.Usage);
        }

        return default;
    }

    private string? ResolveRequestedModel(ChatOptions? options)
    {
        var requested = options?.ModelId ?? _defaultModelId;
        if (_catalog.UnknownModelPolicy == UnknownModelPolicy.Throw)
        {
            if (string.IsNullOrWhiteSpace(requested))
            {
                throw new UnknownModelException(null);
            }

            if (!_catalog.TryGetPrice(requested, out _))
            {
                throw new UnknownModelException(requested);
            }
        }

        return requested;
    }

    private void Meter(
        GovernanceContext context,
        IList<ChatMessage> messages,
        ChatOptions? options,
        string? requested,
        ChatResponse response,
        ProviderUsage? streamed)
    {
        UsageDetails? reported = response.Usage;
        string? answeredModel = response.ModelId;
        var responseMessages = response.Messages;
        var modelId = answeredModel ?? requested;
        ModelPrice? price;
        if (answeredModel is null)
        {
            price = _catalog.GetPrice(requested);
        }
        else if (!_catalog.TryGetPrice(answeredModel, out price))
        {
            MeteringLog.AnsweringModelUnknown(_logger, answeredModel, requested);
            price = _catalog.GetPrice(requested ?? answeredModel);
        }

        TokenUsage usage;
        var estimated = false;
        var tier = RawUsagePricing.ServiceTierOf(response.AdditionalProperties);
        if (RawUsagePricing.TryRead(response.RawRepresentation, _rawFormat, out var raw))
        {
            // The provider's own usage block: cache-write TTLs, service tier and web searches that UsageDetails does not carry.
            usage = raw!.Usage;
            tier = raw.ServiceTier ?? tier;
        }
        else if (streamed is not null)
        {
            // A stream's raw usage events, read as they passed: the same block a non-streamed response would carry.
            usage = streamed.Usage;
            tier = streamed.ServiceTier ?? tier;
        }
        else if (reported is not null && (reported.InputTokenCount is not null || reported.OutputTokenCount is not null || reported.TotalTokenCount is not null))
        {
            usage = _options.UsageConvention.Normalize(reported);
        }
        else if (_options.EstimateMissingUsage)
        {
            estimated = true;
            MeteringLog.UsageMissing(_logger, modelId);
            usage = new TokenUsage(_tokens.CountPromptTokens(messages, options, modelId), 0, 0, CountOutput(responseMessages, modelId), 0);
        }
        else
        {
            usage = default;
        }

        // Dated prices apply at the call's start, the instant its record carries as Timestamp (and one clock read fewer).
        var cost = CostCalculator.CalculateAt(usage, price, tier, context.Start);
        context.AddMetered(modelId, price.ModelId, usage, cost, estimated);
        Publish(context, requested, modelId, usage, cost, estimated);
    }

    private int CountOutput(IList<ChatMessage> messages, string? modelId)
    {
        var total = 0;
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                total += content switch
                {
                    TextContent t => _tokens.CountTokens(t.Text, modelId),
                    TextReasoningContent r => _tokens.CountTokens(r.Text, modelId),
                    FunctionCallContent c => _tokens.CountTokens(c.Name, modelId) + 3,
                    _ => 0,
                };
            }
        }

        return total;
    }

    private void Publish(GovernanceContext context, string? requested, string? modelId, in TokenUsage usage, in CostBreakdown cost, bool estimated)
    {
        var scope = context.Scope;
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            MeteringLog.CallMetered(_logger, modelId, usage.TotalInputTokens, usage.TotalOutputTokens, cost.Total, estimated);
        }

        if (_options.EmitTokenUsageMetric && _instruments.TokenUsage.Enabled)
        {
            var tags = new TagList
            {
                { "gen_ai.operation.name", "chat" },
                { "gen_ai.request.model", requested },
                { "gen_ai.response.model", modelId },
                { "gen_ai.token.type", "input" },
            };
            _instruments.TokenUsage.Record(usage.TotalInputTokens, tags);
            tags[3] = new("gen_ai.token.type", "output");
            _instruments.TokenUsage.Record(usage.TotalOutputTokens, tags);
        }

        if (_instruments.Cost.Enabled)
        {
            var tags = new TagList
            {
                { "gen_ai.request.model", requested },
                { "gen_ai.response.model", modelId },
                { "token_governor.usage_estimated", estimated },
            };
            if (_options.IncludeScopeInMetrics)
            {
                tags.Add("token_governor.tenant", scope.Tenant);
                tags.Add("token_governor.feature", scope.Feature);
            }

            _instruments.Cost.Add((double)cost.Total, tags);
        }

        if (Activity.Current is { IsAllDataRequested: true } activity)
        {
            GenAiSpanTags.Add(activity, cost.Total, estimated, context); // the total sums a dozen decimals: only when a span listens
        }
    }

    /// <summary>One metered call: the requested model, and the raw usage its stream reported.</summary>
    internal readonly record struct MeteringCall(string? Requested, bool PassThrough, StreamedProviderUsage? Streamed = null);
}
