using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>
/// One agent run's counters (model calls, tokens, cost, tool calls, wall time) and its repeat detection (tool calls, replies, tool
/// errors). Not thread-safe: the loop guard locks it around every read and update.
/// </summary>
internal sealed class RunState(DateTimeOffset started)
{
    private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

    public DateTimeOffset Started { get; } = started;

    public DateTimeOffset LastActive { get; set; } = started;

    public int Steps { get; private set; }

    public long Tokens { get; private set; }

    public decimal Cost { get; private set; }

    public int ToolCalls { get; private set; }

    /// <summary>Gets or sets the note the next call carries (the model repeats itself), once.</summary>
    public string? PendingNote { get; set; }

    /// <summary>Gets the reason the run must stop at its next call, once repeats went on after the note.</summary>
    public (string Limit, string Detail)? StopReason { get; private set; }

    private int MessagesSeen { get; set; }

    /// <summary>The first hard limit the run has reached, or <see langword="null"/>.</summary>
    public (string Limit, string Detail)? HardLimit(LoopGuardOptions o, DateTimeOffset now)
    {
        if (Steps >= o.MaxSteps)
        {
            return ("steps", $"It made {Steps} model calls; LoopGuardOptions.MaxSteps is {o.MaxSteps}.");
        }

        if (o.MaxTokens is { } maxTokens && Tokens >= maxTokens)
        {
            return ("tokens", $"It used {Tokens} tokens; LoopGuardOptions.MaxTokens is {maxTokens}.");
        }

        if (o.MaxCost is { } maxCost && Cost >= maxCost)
        {
            return ("cost", FormattableString.Invariant($"It cost ${Cost}; LoopGuardOptions.MaxCost is ${maxCost}."));
        }

        if (o.MaxToolCalls is { } maxTools && ToolCalls > maxTools)
        {
            return ("tool-calls", $"It requested {ToolCalls} tool calls; LoopGuardOptions.MaxToolCalls is {maxTools}.");
        }

        if (o.MaxWallTime is { } maxTime && now - Started >= maxTime)
        {
            return ("wall-time", $"It has run for {now - Started}; LoopGuardOptions.MaxWallTime is {maxTime}.");
        }

        return null;
    }

    /// <summary>How close the next call takes the run to its nearest limit (1 = at it).</summary>
    public double Fraction(LoopGuardOptions o, DateTimeOffset now)
    {
        var f = (Steps + 1) / (double)o.MaxSteps;
        if (o.MaxTokens is { } t && t > 0)
        {
            f = Math.Max(f, Tokens / (double)t);
        }

        if (o.MaxCost is { } c && c > 0)
        {
            f = Math.Max(f, (double)(Cost / c));
        }

        if (o.MaxToolCalls is { } n && n > 0)
        {
            f = Math.Max(f, ToolCalls / (double)n);
        }

        if (o.MaxWallTime is { } w && w > TimeSpan.Zero)
        {
            f = Math.Max(f, (now - Started) / w);
        }

        return f;
    }

    /// <summary>Counts the tool errors in the messages the run has not seen yet (the tool results of its last step).</summary>
    public void CountToolErrors(LoopGuardOptions o, IList<ChatMessage> messages)
    {
        for (var i = Math.Min(MessagesSeen, messages.Count); i < messages.Count; i++)
        {
            foreach (var content in messages[i].Contents)
            {
                if (content is FunctionResultContent { Exception: not null } result)
                {
                    var key = "error:" + result.Exception.GetType().Name + ":" + result.Exception.Message;
                    var count = _counts[key] = _counts.GetValueOrDefault(key) + 1;
                    if (count == o.RepeatedToolErrorThreshold)
                    {
                        PendingNote = $"[governor] The same tool error has occurred {count} times: {result.Exception.Message}. Do not retry the same call; change the arguments, use another tool, or give your final answer.";
                    }
                    else if (count >= o.RepeatedToolErrorThreshold + 2)
                    {
                        StopReason = ("repeated-tool-error", $"The same tool error occurred {count} times (LoopGuardOptions.RepeatedToolErrorThreshold is {o.RepeatedToolErrorThreshold}).");
                    }
                }
            }
        }
    }

    /// <summary>Counts one completed step: its tokens and cost, the tool calls it requested, and any repeat in them or in its reply.</summary>
    public void Completed(LoopGuardOptions o, int messagesSent, IList<ChatMessage> responseMessages, long tokens, decimal cost)
    {
        Steps++;
        Tokens += tokens;
        Cost += cost;
        MessagesSeen = messagesSent;
        foreach (var message in responseMessages)
        {
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent fc)
                {
                    ToolCalls++;
                    Repeat(o, ToolCallSignature.Of(fc), $"You have called `{fc.Name}` with the same arguments", "duplicate-tool-call");
                }
            }

            if (message.Role == ChatRole.Assistant && message.Text is { Length: > 0 } text)
            {
                Repeat(o, "text:" + text.Trim(), "You have given this same reply", "repeated-message");
            }
        }
    }

    private void Repeat(LoopGuardOptions o, string signature, string what, string limit)
    {
        var count = _counts[signature] = _counts.GetValueOrDefault(signature) + 1;
        var threshold = o.DuplicateCallThreshold;
        if (count == threshold)
        {
            PendingNote = $"[governor] {what} {count} times in this task; repeating it will not give a different result. Use what you already have, try a different approach, or give your final answer.";
        }
        else if (count >= threshold + 2)
        {
            StopReason = (limit, $"{what} {count} times, after being told it repeats (LoopGuardOptions.DuplicateCallThreshold is {threshold}).");
        }
    }
}
