using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Text;
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
/// <para>Streaming: usage is read from the stream's <see cref="UsageContent"/>; when the stream ends, is cancelled or is abandoned,
/// what was received is metered in a <c>finally</c>, so partial streams still count. A completed stream ends with one extra
/// update that carries the <see cref="GovernanceRecord"/> and no content. When the provider sends no usage, it is estimated with
/// the tokenizer and flagged.</para>
/// <para>Thread-safe: one instance serves concurrent calls.</para>
/// </remarks>
public sealed class CostMeteringChatClient : DelegatingChatClient
{
    private readonly PriceCatalog _catalog;
    private readonly CostMeteringOptions _options;
    private readonly ICostSink[] _sinks;
    private readonly ITokenEstimator _tokens;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly GovernorInstruments _instruments;
    private readonly string? _defaultModelId;

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
        : base(innerClient)
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
        _defaultModelId = innerClient.GetService<ChatClientMetadata>()?.DefaultModelId ?? _options.DefaultModelId;
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var outer = GovernanceContext.Current;
        var requested = ResolveRequestedModel(options);
        var started = _time.GetTimestamp();
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var record = Meter(outer, messages, options, requested, response.Usage, response.ModelId, response.Messages, null, streaming: false, started);
        if (outer is null)
        {
            response.SetGovernance(record);
        }

        return response;
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var outer = GovernanceContext.Current;
        var requested = ResolveRequestedModel(options);
        return StreamAsync(messages, options, outer, requested, cancellationToken);
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(PriceCatalog) ? _catalog : base.GetService(serviceType, serviceKey);
    }

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options, GovernanceContext? outer, string? requested,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        UsageDetails? usage = null;
        string? modelId = null, responseId = null;
        StringBuilder? text = null;
        GovernanceRecord? record = null;
        var completed = false;
        var received = false;
        try
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                received = true;
                modelId ??= update.ModelId;
                responseId ??= update.ResponseId;
                var contents = update.Contents;
                for (var i = 0; i < contents.Count; i++)
                {
                    switch (contents[i])
                    {
                        case UsageContent u:
                            (usage ??= new UsageDetails()).Add(u.Details);
                            break;
                        case TextContent t when _options.EstimateMissingUsage:
                            (text ??= new StringBuilder()).Append(t.Text);
                            break;
                        case FunctionCallContent call when _options.EstimateMissingUsage:
                            (text ??= new StringBuilder()).Append(call.Name).Append(' ').Append(call.Arguments?.Count ?? 0);
                            break;
                    }
                }

                yield return update;
            }

            completed = true;
        }
        finally
        {
            // Runs on completion, provider error, cancellation and when the consumer stops enumerating early. A stream that
            // failed before its first update was rejected by the provider (HTTP error, rate limit) and, like a failed
            // non-streaming call, is not billed; once anything arrived, what was received is metered.
            if (received || completed)
            {
                record = Meter(outer, messages, options, requested, usage, modelId, null, text, streaming: true, started);
            }
        }

        if (completed && outer is null)
        {
            yield return GovernanceExtensions.CreateGovernanceUpdate(record!, responseId, modelId);
        }
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

    private GovernanceRecord Meter(
        GovernanceContext? outer,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        string? requested,
        UsageDetails? reported,
        string? answeredModel,
        IList<ChatMessage>? responseMessages,
        StringBuilder? streamedText,
        bool streaming,
        long started)
    {
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
        if (reported is not null && (reported.InputTokenCount is not null || reported.OutputTokenCount is not null || reported.TotalTokenCount is not null))
        {
            usage = _options.UsageConvention.Normalize(reported);
        }
        else if (_options.EstimateMissingUsage)
        {
            estimated = true;
            MeteringLog.UsageMissing(_logger, modelId);
            var input = _tokens.CountPromptTokens(messages, options, modelId);
            var output = streamedText is not null
                ? _tokens.CountTokens(streamedText.ToString(), modelId)
                : responseMessages is null ? 0 : CountOutput(responseMessages, modelId);
            usage = new TokenUsage(input, 0, 0, output, 0);
        }
        else
        {
            usage = default;
        }

        var cost = CostCalculator.Calculate(usage, price);
        var elapsed = _time.GetElapsedTime(started);
        var record = new GovernanceRecord
        {
            Timestamp = _time.GetUtcNow() - elapsed,
            Duration = elapsed,
            Scope = outer?.Scope ?? GovernanceScope.Resolve(options),
            Streaming = streaming,
            RequestedModelId = requested,
            ModelId = modelId,
            PricedModelId = price.ModelId,
            Estimate = outer?.Estimate,
            Usage = usage,
            UsageEstimated = estimated,
            Cost = cost,
            ProviderCalls = 1,
        };

        outer?.AddMetered(modelId, price.ModelId, usage, cost, estimated);
        Publish(record, requested, outer);
        return record;
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

    private void Publish(GovernanceRecord record, string? requested, GovernanceContext? outer)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            MeteringLog.CallMetered(_logger, record.ModelId, record.Usage.TotalInputTokens, record.Usage.TotalOutputTokens, record.Cost.Total, record.UsageEstimated);
        }

        if (_options.EmitTokenUsageMetric && _instruments.TokenUsage.Enabled)
        {
            var tags = new TagList
            {
                { "gen_ai.operation.name", "chat" },
                { "gen_ai.request.model", requested },
                { "gen_ai.response.model", record.ModelId },
                { "gen_ai.token.type", "input" },
            };
            _instruments.TokenUsage.Record(record.Usage.TotalInputTokens, tags);
            tags[3] = new("gen_ai.token.type", "output");
            _instruments.TokenUsage.Record(record.Usage.TotalOutputTokens, tags);
        }

        if (_instruments.Cost.Enabled)
        {
            var tags = new TagList
            {
                { "gen_ai.request.model", requested },
                { "gen_ai.response.model", record.ModelId },
                { "token_governor.usage_estimated", record.UsageEstimated },
            };
            if (_options.IncludeScopeInMetrics)
            {
                tags.Add("token_governor.tenant", record.Scope.Tenant);
                tags.Add("token_governor.feature", record.Scope.Feature);
            }

            _instruments.Cost.Add((double)record.Cost.Total, tags);
        }

        GenAiSpanTags.Add(Activity.Current, record, outer);

        CostSinks.Publish(_sinks, record, _logger);
    }
}
