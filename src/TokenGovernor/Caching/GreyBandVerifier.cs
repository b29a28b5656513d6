using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>
/// The semantic cache's optional second stage: asks a cheap chat model whether two requests ask the same thing, prices the
/// call from the catalog and adds its cost to the current call's <see cref="GovernanceRecord.CacheCost"/>.
/// </summary>
internal sealed class GreyBandVerifier(IChatClient client, string? modelId, GovernanceServices services, ILogger logger, GovernorInstruments instruments)
{
    internal const string Instructions =
        "You decide whether two user requests ask for the same thing, so that one answer serves both. " +
        "They differ if they ask about different things, numbers, dates, names, places or conditions, or if one negates the other. " +
        "Reply with exactly one word: YES if the same answer serves both, NO otherwise.";

    private readonly string? _defaultModel = modelId ?? client.GetService<ChatClientMetadata>()?.DefaultModelId;

    /// <summary>Whether <paramref name="query"/> and <paramref name="cached"/> ask the same thing; a failure counts as no.</summary>
    public async ValueTask<bool> SameAsync(string query, string cached, double similarity, CancellationToken cancellationToken)
    {
        List<ChatMessage> messages =
        [
            new(ChatRole.System, Instructions),
            new(ChatRole.User, $"Request A:\n{cached}\n\nRequest B:\n{query}\n\nSame request?"),
        ];
        var options = new ChatOptions { ModelId = modelId, Temperature = 0f, MaxOutputTokens = 5 };
        ChatResponse response;
        try
        {
            // Outside this call's context: a governed verifier client records its own call instead of adding to this one.
            using (GovernanceContext.Suspend())
            {
                response = await client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            CachingLog.VerifierFailed(logger, similarity, ex);
            return false;
        }

        var cost = Price(response, messages, options);
        GovernanceContext.Current?.AddCacheCost(cost);
        var same = response.Text.AsSpan().TrimStart().StartsWith("yes", StringComparison.OrdinalIgnoreCase);
        if (logger.IsEnabled(LogLevel.Debug))
        {
            CachingLog.VerifierAnswered(logger, similarity, same ? "the same request" : "a different request", cost);
        }

        return same;
    }

    private decimal Price(ChatResponse response, List<ChatMessage> messages, ChatOptions options)
    {
        var model = response.ModelId ?? _defaultModel;
        if (!services.Catalog.TryGetPrice(model, out var price))
        {
            return 0m;
        }

        var estimated = response.Usage?.InputTokenCount is null;
        var usage = response.Usage ?? new UsageDetails
        {
            InputTokenCount = services.Tokens.CountPromptTokens(messages, options, model),
            OutputTokenCount = services.Tokens.CountTokens(response.Text, model),
        };
        var cost = CostCalculator.Calculate(usage, price).Total;
        if (instruments.Cost.Enabled)
        {
            instruments.Cost.Add((double)cost, new TagList
            {
                { "gen_ai.request.model", modelId ?? model },
                { "gen_ai.response.model", model },
                { "token_governor.usage_estimated", estimated },
                { "token_governor.mechanism", "cache.verifier" },
            });
        }

        return cost;
    }
}
