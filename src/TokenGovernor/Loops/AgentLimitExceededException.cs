namespace TokenGovernor;

/// <summary>Thrown when an agent run reaches a hard limit, keeps repeating itself, or is in a retry storm.</summary>
public sealed class AgentLimitExceededException : InvalidOperationException
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="run">The run (or scope key) that was stopped.</param>
    /// <param name="limit">What was hit: <c>steps</c>, <c>tokens</c>, <c>cost</c>, <c>tool-calls</c>, <c>wall-time</c>,
    /// <c>duplicate-tool-call</c>, <c>repeated-tool-error</c> or <c>retry-storm</c>.</param>
    /// <param name="detail">A sentence with the figures.</param>
    public AgentLimitExceededException(string run, string limit, string detail)
        : base($"Agent run '{run}' stopped: {limit}. {detail}")
    {
        Run = run;
        Limit = limit;
    }

    /// <summary>Gets the run that was stopped.</summary>
    public string Run { get; }

    /// <summary>Gets what was hit.</summary>
    public string Limit { get; }
}
