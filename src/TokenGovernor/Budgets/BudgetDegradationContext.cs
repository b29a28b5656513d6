using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>What a <see cref="BudgetDegradationStep"/> sees and may change for one call.</summary>
public sealed class BudgetDegradationContext
{
    internal BudgetDegradationContext(GovernanceScope scope, double utilization, ChatOptions options)
    {
        Scope = scope;
        Utilization = utilization;
        Options = options;
    }

    /// <summary>Gets the call's scope.</summary>
    public GovernanceScope Scope { get; }

    /// <summary>Gets the utilization of the tightest applicable budget, before this call.</summary>
    public double Utilization { get; }

    /// <summary>Gets the call's options: a private copy the step may change (model, output cap, reasoning, tools).</summary>
    public ChatOptions Options { get; }

    /// <summary>Gets a value indicating whether a step refused the call.</summary>
    public bool IsRefused => RefusalReason is not null;

    /// <summary>Gets why the call was refused, or <see langword="null"/>.</summary>
    public string? RefusalReason { get; private set; }

    /// <summary>Refuses the call: it is not sent, and the caller gets <see cref="BudgetExceededException"/> or the configured fallback response.</summary>
    /// <param name="reason">A short reason, recorded in the governance record and metrics.</param>
    public void Refuse(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        RefusalReason ??= reason;
    }
}
