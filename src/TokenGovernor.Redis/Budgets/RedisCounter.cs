namespace TokenGovernor.Redis;

/// <summary>One budget counter a call touches: a policy and the scope's key under it.</summary>
internal readonly record struct RedisCounter(RedisLedgerPolicy Info, string Key)
{
    /// <summary>The separator between policy name and key in Redis keys and in <see cref="Id"/> (U+001F, never in a policy name).</summary>
    public const char Separator = '\u001f';

    public string Id => Info.Policy.Name + Separator + Key;
}

/// <summary>What Redis reported for one counter: spent and held (reserved) amounts, in nano-dollars and tokens, and the requests
/// its window has admitted.</summary>
/// <remarks>To carry another figure per counter, add it here and to the one parser in <see cref="RedisLedgerScriptClient"/> that
/// reads the script's per-counter group.</remarks>
internal readonly record struct RedisCounterState(long Spent, long SpentTokens, long Reserved, long ReservedTokens, long Requests);

/// <summary>A counter's state as last seen in a reply, with the window it belongs to and when it was seen.</summary>
internal readonly record struct RedisSeenCounter(string Window, RedisCounterState State, long AtTicks);
