using System.IO.Hashing;
using System.Runtime.InteropServices;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// An <see cref="IChatReducer"/> that keeps a conversation within a token budget: every system message, then the newest turns
/// that fit, never separating a tool call from its results; older turns are replaced by one summary written by a cheap model.
/// Use it with M.E.AI's <c>UseChatReducer</c> (<c>ReducingChatClient</c>).
/// </summary>
/// <remarks>
/// <para>Without a summarizer, older turns are dropped. With one, the summary is cached and re-summarised incrementally: when
/// more turns fall out of the window, the summarizer gets the previous summary plus only the newly dropped turns. Pass a
/// summarizer built with <c>UseCostMetering()</c> so its cost is metered like any other call.</para>
/// <para>Counts use the model's tokenizer (<see cref="ITokenEstimator"/>, memoized), so reducing a growing agent history costs
/// little per step. Thread-safe.</para>
/// </remarks>
public sealed class TokenBudgetChatReducer : IChatReducer
{
    private readonly TokenBudgetChatReducerOptions _options;
    private readonly IChatClient? _summarizer;
    private readonly ITokenEstimator _tokens;
    private readonly object _gate = new();
    private (int Count, UInt128 Hash, string Summary)? _lastSummary;

    /// <summary>Initializes a new reducer.</summary>
    /// <param name="options">The options (copied).</param>
    /// <param name="summarizer">The client that summarises dropped turns, or <see langword="null"/> to drop them.</param>
    /// <param name="tokenEstimator">Counts tokens; defaults to <see cref="TiktokenTokenEstimator.Default"/>.</param>
    public TokenBudgetChatReducer(TokenBudgetChatReducerOptions? options = null, IChatClient? summarizer = null, ITokenEstimator? tokenEstimator = null)
    {
        var o = options ?? new TokenBudgetChatReducerOptions();
        _options = new TokenBudgetChatReducerOptions
        {
            MaxTokens = o.MaxTokens,
            ModelId = o.ModelId,
            SummaryModelId = o.SummaryModelId,
            SummaryMaxTokens = o.SummaryMaxTokens,
            SummaryInstruction = o.SummaryInstruction,
        };
        OptionsValidation.ThrowIfInvalid(new TokenBudgetChatReducerOptionsValidator(), _options);
        _summarizer = summarizer;
        _tokens = tokenEstimator ?? TiktokenTokenEstimator.Default;
    }

    /// <summary>Gets how many times the summarizer was called.</summary>
    public int SummaryCalls { get; private set; }

    /// <inheritdoc />
    public async Task<IEnumerable<ChatMessage>> ReduceAsync(IEnumerable<ChatMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var list = messages as IList<ChatMessage> ?? messages.ToList();
        if (_tokens.CountPromptTokens(list, null, _options.ModelId) <= _options.MaxTokens)
        {
            return list;
        }

        var system = list.Where(m => m.Role == ChatRole.System).ToList();
        var units = Units(list.Where(m => m.Role != ChatRole.System).ToList());
        var budget = _options.MaxTokens - _tokens.CountPromptTokens(system, null, _options.ModelId) - (_summarizer is null ? 0 : _options.SummaryMaxTokens);

        // Newest units first, as many as fit; the newest unit is always kept, whole.
        var keptFrom = units.Count;
        var used = 0;
        while (keptFrom > 0)
        {
            var unit = units[keptFrom - 1];
            var cost = _tokens.CountPromptTokens(unit, null, _options.ModelId) - 3;
            if (keptFrom < units.Count && used + cost > budget)
            {
                break;
            }

            used += cost;
            keptFrom--;
        }

        var dropped = units.Take(keptFrom).SelectMany(u => u).ToList();
        var result = new List<ChatMessage>(system);
        if (dropped.Count > 0 && _summarizer is not null)
        {
            result.Add(new ChatMessage(ChatRole.User, "[Summary of the earlier conversation] " + await SummarizeAsync(dropped, cancellationToken).ConfigureAwait(false)));
        }

        result.AddRange(units.Skip(keptFrom).SelectMany(u => u));
        return result;
    }

    /// <summary>Groups messages so an assistant message with tool calls and the tool results that follow it stay together.</summary>
    private static List<List<ChatMessage>> Units(List<ChatMessage> messages)
    {
        var units = new List<List<ChatMessage>>();
        foreach (var message in messages)
        {
            var isResult = message.Role == ChatRole.Tool || message.Contents.Any(c => c is FunctionResultContent);
            if (isResult && units.Count > 0 && units[^1].Any(m => m.Contents.Any(c => c is FunctionCallContent)))
            {
                units[^1].Add(message);
            }
            else
            {
                units.Add([message]);
            }
        }

        return units;
    }

    private async Task<string> SummarizeAsync(List<ChatMessage> dropped, CancellationToken cancellationToken)
    {
        (int Count, UInt128 Hash, string Summary)? last;
        lock (_gate)
        {
            last = _lastSummary;
        }

        var hash = Hash(dropped, dropped.Count);
        if (last is { } cached && cached.Count == dropped.Count && cached.Hash == hash)
        {
            return cached.Summary;
        }

        // Incremental: when the earlier summary covers a prefix of what is dropped now, summarise only the rest.
        var prompt = new List<ChatMessage> { new(ChatRole.System, _options.SummaryInstruction) };
        IEnumerable<ChatMessage> fresh = dropped;
        if (last is { } prefix && prefix.Count < dropped.Count && Hash(dropped, prefix.Count) == prefix.Hash)
        {
            prompt.Add(new ChatMessage(ChatRole.User, "Summary so far: " + prefix.Summary));
            fresh = dropped.Skip(prefix.Count);
        }

        prompt.Add(new ChatMessage(ChatRole.User, "Conversation to add to the summary:\n" + string.Join("\n", fresh.Select(Render))));
        var response = await _summarizer!.GetResponseAsync(prompt, new ChatOptions { ModelId = _options.SummaryModelId, MaxOutputTokens = _options.SummaryMaxTokens }, cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            SummaryCalls++;
            _lastSummary = (dropped.Count, hash, response.Text);
        }

        return response.Text;
    }

    private static string Render(ChatMessage message)
    {
        var parts = message.Contents.Select(c => c switch
        {
            TextContent t => t.Text,
            FunctionCallContent call => $"called {call.Name}({string.Join(", ", call.Arguments?.Select(a => $"{a.Key}={a.Value}") ?? [])})",
            FunctionResultContent result => $"result: {result.Result}",
            _ => string.Empty,
        });
        return $"{message.Role.Value}: {string.Join(" ", parts)}";
    }

    private static UInt128 Hash(List<ChatMessage> messages, int count)
    {
        var hash = new XxHash128();
        for (var i = 0; i < count; i++)
        {
            hash.Append(MemoryMarshal.AsBytes(Render(messages[i]).AsSpan()));
            hash.Append([0]);
        }

        return hash.GetCurrentHashAsUInt128();
    }
}
