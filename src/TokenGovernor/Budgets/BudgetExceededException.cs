namespace TokenGovernor;

/// <summary>Thrown when a budget refuses a call: its limit is reached, or the degradation ladder says the call may not be sent.</summary>
/// <remarks>Not sealed for one reason: <see cref="RateLimitExceededException"/> (a request limit refused the call) derives from it,
/// so code that catches <see cref="BudgetExceededException"/> keeps catching every budget refusal; catch the derived type first
/// to wait and retry on a rate limit.</remarks>
public class BudgetExceededException : InvalidOperationException
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="scope">The scope of the refused call.</param>
    /// <param name="usage">The budget that refused it, or <see langword="null"/> when unknown.</param>
    /// <param name="reason">Why: <c>budget-exhausted</c>, <c>cache-only</c>, or a custom step's reason.</param>
    public BudgetExceededException(GovernanceScope scope, BudgetUsage? usage, string reason)
        : base(BuildMessage(scope, usage, reason))
    {
        Scope = scope;
        Usage = usage;
        Reason = reason;
    }

    /// <summary>Initializes a new instance for a refusal by the ledger, naming what it could not reach when it was unavailable.</summary>
    /// <param name="scope">The scope of the refused call.</param>
    /// <param name="usage">The budget that refused it, or <see langword="null"/> when unknown.</param>
    /// <param name="reason">Why: <c>budget-exhausted</c>, <c>budget-ledger-unavailable</c>, or a custom step's reason.</param>
    /// <param name="denial">The ledger's denial; its <see cref="BudgetDenial.Detail"/> ends the message.</param>
    public BudgetExceededException(GovernanceScope scope, BudgetUsage? usage, string reason, BudgetDenial? denial)
        : base(BuildMessage(scope, usage, reason) + (denial?.Detail is { Length: > 0 } detail ? " " + Capitalize(detail) : string.Empty))
    {
        Scope = scope;
        Usage = usage;
        Reason = reason;
        Denial = denial;
    }

    /// <summary>Initializes a new instance with a message written by a derived refusal.</summary>
    private protected BudgetExceededException(string message, GovernanceScope scope, BudgetUsage? usage, string reason, BudgetDenial? denial)
        : base(message)
    {
        Scope = scope;
        Usage = usage;
        Reason = reason;
        Denial = denial;
    }

    /// <summary>Gets the ledger's denial, when the ledger refused the call (null for a refusal by a degradation step).</summary>
    public BudgetDenial? Denial { get; }

    /// <summary>Gets the scope of the refused call.</summary>
    public GovernanceScope Scope { get; }

    /// <summary>Gets the state of the budget that refused the call (policy, limit, spent, window reset time).</summary>
    public BudgetUsage? Usage { get; }

    /// <summary>Gets why the call was refused.</summary>
    public string Reason { get; }

    /// <summary>Gets the refusing policy.</summary>
    public BudgetPolicy? Policy => Usage?.Policy;

    /// <summary>Gets the refusing budget's cost limit in US dollars.</summary>
    public decimal? Limit => Usage?.Policy.CostLimit;

    /// <summary>Gets what the refusing budget has spent in its window.</summary>
    public decimal? Spent => Usage?.SpentCost;

    /// <summary>Gets when the refusing budget's window resets, or <see langword="null"/> for lifetime budgets.</summary>
    public DateTimeOffset? WindowResetsAt => Usage?.WindowResetsAt;

    private static string Capitalize(string text) => char.ToUpperInvariant(text[0]) + text[1..];

    private static string BuildMessage(GovernanceScope scope, BudgetUsage? usage, string reason)
    {
        if (usage is null)
        {
            return $"The call was refused by the budget ladder ({reason}) for scope {scope}.";
        }

        var p = usage.Policy;
        var limit = p.CostLimit is { } c ? FormattableString.Invariant($"${c}") : FormattableString.Invariant($"{p.TokenLimit} tokens");
        var key = usage.Key.Length == 0 ? "global" : $"{p.Level} '{usage.Key}'";
        var resets = usage.WindowResetsAt is { } r ? FormattableString.Invariant($"; the window resets at {r:O}") : string.Empty;
        return FormattableString.Invariant(
            $"Budget '{p.Name}' ({key}) refused the call ({reason}): spent ${usage.SpentCost} and {usage.SpentTokens} tokens, {usage.Utilization:P0} of its {limit} {p.Window} limit{resets}.");
    }
}
