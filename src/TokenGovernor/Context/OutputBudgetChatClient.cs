using System.Globalization;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// Token-budget-aware prompting (TALE, arXiv 2412.18547): estimates a token budget for the answer (per feature, short prompt,
/// or a custom estimate such as a complexity score), tells the model ("answer within N tokens") and caps
/// <c>MaxOutputTokens</c> at the budget times <see cref="OutputBudgetOptions.Headroom"/>. Off unless added.
/// </summary>
/// <remarks>Place it above the cache and budgets (<c>UseTokenGovernor</c> does), so the budget layer reserves for the lowered cap.
/// An explicit smaller <c>MaxOutputTokens</c> from the caller is kept. Thread-safe.</remarks>
public sealed class OutputBudgetChatClient : DelegatingChatClient, IGovernanceContextReader
{
    private readonly OutputBudgetOptions _options;
    private readonly ITokenEstimator _tokens;

    /// <summary>Initializes a new client.</summary>
    /// <param name="innerClient">The client below.</param>
    /// <param name="options">The options (copied), or <see langword="null"/> for the defaults.</param>
    /// <param name="tokenEstimator">Counts prompts for the short-prompt rule.</param>
    public OutputBudgetChatClient(IChatClient innerClient, OutputBudgetOptions? options = null, ITokenEstimator? tokenEstimator = null)
        : base(innerClient)
    {
        _options = (options ?? new OutputBudgetOptions()).Clone();
        OptionsValidation.ThrowIfInvalid(new OutputBudgetOptionsValidator(), _options);
        _tokens = tokenEstimator ?? TiktokenTokenEstimator.Default;
    }

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        return base.GetResponseAsync(list, Apply(list, options), cancellationToken);
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        return base.GetStreamingResponseAsync(list, Apply(list, options), cancellationToken);
    }

    /// <summary>The budget for a request, or <see langword="null"/> when none applies.</summary>
    internal int? BudgetFor(IList<ChatMessage> messages, ChatOptions? options)
    {
        if (!_options.ApplyWhenToolsOffered && options?.Tools is { Count: > 0 })
        {
            return null;
        }

        if (_options.Estimate?.Invoke(messages, options) is { } custom)
        {
            return custom;
        }

        var scope = GovernanceContext.Current?.Scope ?? GovernanceScope.Resolve(options);
        if (scope.Feature is { } feature && _options.FeatureBudgets.TryGetValue(feature, out var perFeature))
        {
            return perFeature;
        }

        return _tokens.CountPromptTokens(messages, options, options?.ModelId) <= _options.ShortPromptTokens ? _options.ShortPromptBudget : _options.DefaultBudget;
    }

    private ChatOptions? Apply(IList<ChatMessage> messages, ChatOptions? options)
    {
        if (BudgetFor(messages, options) is not { } budget)
        {
            return options;
        }

        var adjusted = options?.Clone() ?? new ChatOptions();
        var hint = string.Format(CultureInfo.InvariantCulture, _options.Instruction, budget);
        adjusted.Instructions = string.IsNullOrEmpty(adjusted.Instructions) ? hint : adjusted.Instructions + "\n" + hint;
        var cap = (int)Math.Ceiling(budget * _options.Headroom);
        adjusted.MaxOutputTokens = adjusted.MaxOutputTokens is { } existing ? Math.Min(existing, cap) : cap;
        GovernanceContext.Current?.AddDegradation("output-budget-hint");
        return adjusted;
    }
}
