namespace TokenGovernor;

/// <summary>
/// The refusal by a full request limit (<see cref="BudgetPolicy.RequestLimit"/>), the same in every ledger: when a slot frees, and
/// the <see cref="BudgetDenial"/> that says so.
/// </summary>
internal static class RequestLimitDenial
{
    /// <summary>The sub-buckets of a sliding window, in every ledger.</summary>
    public const int SlidingBuckets = 60;

    /// <summary>How long until a full request limit frees a slot: to the end of a calendar window; until the oldest sliding
    /// sub-bucket that counts a request leaves the window; never (<see langword="null"/>) for a lifetime window.</summary>
    /// <param name="window">The policy's window.</param>
    /// <param name="windowEnd">The end of the current calendar window.</param>
    /// <param name="oldestBucket">For a sliding window, the index of the oldest sub-bucket counting a request, or <see langword="null"/>
    /// for the current one.</param>
    /// <param name="bucketTicks">For a sliding window, the length of one sub-bucket.</param>
    /// <param name="now">The time of the refusal.</param>
    public static TimeSpan? RetryAfter(BudgetWindow window, DateTimeOffset? windowEnd, long? oldestBucket, long bucketTicks, DateTimeOffset now) => window switch
    {
        BudgetWindow.Lifetime => null,
        BudgetWindow.Sliding => TimeSpan.FromTicks(Math.Max(1, (((oldestBucket ?? (now.UtcTicks / bucketTicks)) + SlidingBuckets) * bucketTicks) - now.UtcTicks)),
        _ => windowEnd - now,
    };

    /// <summary>The refusal of one call by <paramref name="policy"/>'s request limit for <paramref name="key"/>.</summary>
    public static BudgetDenial Create(BudgetPolicy policy, string key, long limit, long requests, TimeSpan? retryAfter, DateTimeOffset? windowEnd, DateTimeOffset now) => new()
    {
        Policy = policy,
        Key = key,
        IsRequestLimit = true,
        Limit = limit,
        Spent = requests,
        Requested = 1,
        RetryAfter = retryAfter,
        WindowResetsAt = policy.Window switch
        {
            BudgetWindow.Lifetime => null,
            BudgetWindow.Sliding => now + retryAfter,
            _ => windowEnd,
        },
    };
}
