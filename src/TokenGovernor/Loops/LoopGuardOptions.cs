using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.AI;

namespace TokenGovernor;

/// <summary>Options of <see cref="LoopGuardChatClient"/>. Limits apply per agent run (<see cref="GovernanceScope.Run"/>).</summary>
public sealed class LoopGuardOptions
{
    /// <summary>Gets or sets the most model calls in one run.</summary>
    /// <value>Defaults to 25.</value>
    [Range(1, 1_000_000)]
    public int MaxSteps { get; set; } = 25;

    /// <summary>Gets or sets the most tokens (input plus output) one run may use, or <see langword="null"/> for no limit.</summary>
    public long? MaxTokens { get; set; }

    /// <summary>Gets or sets the most one run may cost, in US dollars, or <see langword="null"/> for no limit.</summary>
    public decimal? MaxCost { get; set; }

    /// <summary>Gets or sets the most tool calls one run may request, or <see langword="null"/> for no limit.</summary>
    public int? MaxToolCalls { get; set; }

    /// <summary>Gets or sets the longest one run may take, from its first call, or <see langword="null"/> for no limit.</summary>
    public TimeSpan? MaxWallTime { get; set; }

    /// <summary>Gets or sets the fraction of any limit from which the next call is a wrap-up call: sent without tools and with
    /// <see cref="WrapUpInstruction"/>, so the agent concludes with what it has instead of hitting the hard stop.</summary>
    /// <value>Defaults to 0.8.</value>
    [Range(0.0, 1.0)]
    public double WrapUpAt { get; set; } = 0.8;

    /// <summary>Gets or sets the instruction added to a wrap-up call.</summary>
    [Required]
    public string WrapUpInstruction { get; set; } =
        "You are about to reach this task's step or budget limit. Do not call any more tools. Conclude now: give the best answer you can with what you already have, and say what is left undone.";

    /// <summary>Gets or sets how many times the same function with the same (canonical JSON) arguments may be requested in a run
    /// before the guard intervenes with a note; two more repeats after the note stop the run.</summary>
    /// <value>Defaults to 3.</value>
    [Range(2, 1000)]
    public int DuplicateCallThreshold { get; set; } = 3;

    /// <summary>Gets or sets how many times the same tool may fail in a run before the guard intervenes the same way.</summary>
    /// <value>Defaults to 3.</value>
    [Range(1, 1000)]
    public int RepeatedToolErrorThreshold { get; set; } = 3;

    /// <summary>Gets or sets how many failed model calls within <see cref="RetryStormWindow"/> make a retry storm for a scope
    /// (session, else tenant); during a storm calls fail fast with <see cref="AgentLimitExceededException"/> until the window passes.</summary>
    /// <value>Defaults to 5.</value>
    [Range(1, 1_000_000)]
    public int RetryStormFailures { get; set; } = 5;

    /// <summary>Gets or sets the retry storm window.</summary>
    /// <value>Defaults to one minute.</value>
    public TimeSpan RetryStormWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets the cost circuit breaker: when a session's (else tenant's) cost within <see cref="CircuitWindow"/>
    /// exceeds this many US dollars, its calls fail fast with <see cref="CostCircuitOpenException"/> for <see cref="CircuitCoolDown"/>,
    /// then one probe call is let through (half-open). <see langword="null"/> turns the breaker off.</summary>
    public decimal? CircuitCostThreshold { get; set; }

    /// <summary>Gets or sets the breaker's sliding window.</summary>
    /// <value>Defaults to 5 minutes.</value>
    public TimeSpan CircuitWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets how long an open breaker stays open.</summary>
    /// <value>Defaults to 5 minutes.</value>
    public TimeSpan CircuitCoolDown { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets the response returned instead of throwing <see cref="AgentLimitExceededException"/> at a hard limit.</summary>
    public ChatResponse? FinalResponse { get; set; }

    /// <summary>Gets or sets how many runs' state is kept; the least recently active runs are forgotten first.</summary>
    /// <value>Defaults to 10,000.</value>
    [Range(1, 10_000_000)]
    public int MaxTrackedRuns { get; set; } = 10_000;

    /// <summary>Gets or sets how many sessions (or tenants) the retry-storm detector and the cost circuit breaker keep state for.
    /// State that says nothing any more (failures aged out of <see cref="RetryStormWindow"/>, a closed circuit with no spend in
    /// <see cref="CircuitWindow"/>) is forgotten when the cap is reached, then the least recently active; open and half-open
    /// circuits are always kept.</summary>
    /// <value>Defaults to 10,000.</value>
    [Range(1, 10_000_000)]
    public int MaxTrackedScopes { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets a value indicating whether the guard runs in shadow mode: it counts and decides as usual and records each stop,
    /// wrap-up, loop note, retry storm and open circuit it would have applied in <see cref="GovernanceRecord.ShadowActions"/>
    /// (<c>loop:stopped:max-steps</c>, <c>loop:wrap-up</c>, …), but lets the call through unchanged.
    /// </summary>
    public bool Shadow { get; set; }

    internal LoopGuardOptions Clone() => (LoopGuardOptions)MemberwiseClone();
}
