namespace TokenGovernor;

/// <summary>
/// Collects the provider's own usage from a stream's updates as they pass (each update's raw representation: Anthropic's
/// <c>message_start</c> and <c>message_delta</c> events, Gemini's running <c>usageMetadata</c>, …), merged the way
/// <see cref="ProviderUsageParser.ParseStream"/> merges events, so a streamed response is priced from the same block as the
/// non-streamed one (1-hour cache writes, web searches, service tier) even though the coalesced response carries no raw body.
/// </summary>
internal sealed class StreamedProviderUsage(ProviderUsageFormat format)
{
    private ProviderUsage? _merged;

    /// <summary>Gets the merged usage of the updates seen so far, or <see langword="null"/> when none carried a usage block.</summary>
    public ProviderUsage? Usage => _merged;

    /// <summary>Reads one update's raw representation; updates without a usage block are skipped.</summary>
    /// <param name="raw">The update's <c>RawRepresentation</c>.</param>
    public void Add(object? raw)
    {
        if (raw is null || !RawUsagePricing.TryRead(raw, format, out var next))
        {
            return;
        }

        // A stream's updates arrive one at a time (an async enumerator is never advanced concurrently), so no lock is needed.
        _merged = _merged is null ? next : ProviderUsageParser.Merge(_merged, next!);
    }
}
