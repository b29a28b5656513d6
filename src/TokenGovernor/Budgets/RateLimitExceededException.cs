using System.Globalization;

namespace TokenGovernor;

/// <summary>
/// Thrown by the budget layer when a policy's <see cref="BudgetPolicy.RequestLimit"/> refused the call: its window has admitted
/// as many calls as it allows. <see cref="RetryAfter"/> says when the window frees a slot.
/// </summary>
/// <remarks>
/// <para>It derives from <see cref="BudgetExceededException"/>, so existing <c>catch (BudgetExceededException)</c> code and a
/// configured <see cref="BudgetOptions.FallbackResponse"/> treat it as the budget refusal it is; catch it first to wait and retry
/// (like an HTTP 429 with <c>Retry-After</c>).</para>
/// <para>The degradation ladder does not apply to a rate limit: a cheaper model, a lower output cap or no reasoning do not free a
/// request slot, so request counts are not part of the utilization that drives the ladder, and a call refused by a request limit
/// goes straight to this refusal (or the fallback response).</para>
/// </remarks>
public sealed class RateLimitExceededException : BudgetExceededException
{
    /// <summary>The refusal reason recorded in the governance record and metrics for a call refused by a request limit.</summary>
    public const string RateLimitedReason = "rate-limited";

    /// <summary>Initializes a new instance from the ledger's denial.</summary>
    /// <param name="scope">The scope of the refused call.</param>
    /// <param name="denial">The ledger's denial; <see cref="BudgetDenial.IsRequestLimit"/> must be set.</param>
    /// <param name="usage">The state of the refusing budget, or <see langword="null"/> when unknown.</param>
    /// <exception cref="ArgumentNullException"><paramref name="scope"/> or <paramref name="denial"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="denial"/> is not a request-limit denial.</exception>
    public RateLimitExceededException(GovernanceScope scope, BudgetDenial denial, BudgetUsage? usage = null)
        : base(BuildMessage(scope, denial), scope, usage, RateLimitedReason, denial)
    {
    }

    /// <summary>Gets the name of the policy whose request limit refused the call.</summary>
    public string PolicyName => Denial!.Policy.Name;

    /// <summary>Gets the request limit that refused the call (requests per window).</summary>
    public long RequestLimit => (long)Denial!.Limit;

    /// <summary>Gets the budget key (tenant, feature, … value; empty for a global policy).</summary>
    public string Key => Denial!.Key;

    /// <summary>Gets how long until the window frees a request slot (time to the end of a calendar window, or until the oldest counted
    /// request leaves a sliding window), or <see langword="null"/> for a lifetime window, which never frees a slot with time.</summary>
    public TimeSpan? RetryAfter => Denial!.RetryAfter;

    private static string BuildMessage(GovernanceScope scope, BudgetDenial denial)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(denial);
        if (!denial.IsRequestLimit)
        {
            throw new ArgumentException("The denial is not a request-limit denial (BudgetDenial.IsRequestLimit is false); throw BudgetExceededException for it.", nameof(denial));
        }

        var p = denial.Policy;
        var key = denial.Key.Length == 0 ? "global" : $"{p.Level} '{denial.Key}'";
        var window = p.Window == BudgetWindow.Sliding
            ? string.Create(CultureInfo.InvariantCulture, $"sliding {p.SlidingWindow}")
            : p.Window.ToString();
        var retry = denial.RetryAfter is { } after
            ? string.Create(CultureInfo.InvariantCulture, $"retry after {Math.Ceiling(after.TotalSeconds):0} s") +
              (denial.WindowResetsAt is { } r && p.Window != BudgetWindow.Sliding ? string.Create(CultureInfo.InvariantCulture, $" (the window resets at {r:O})") : string.Empty)
            : "its Lifetime window never frees a slot; raise RequestLimit or release reservations";
        return string.Create(CultureInfo.InvariantCulture,
            $"Rate limit '{p.Name}' ({key}) refused the call for scope {scope}: {denial.Spent} of its {denial.Limit} requests per {window} window are used; {retry}.");
    }
}
