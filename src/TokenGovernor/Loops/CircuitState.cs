namespace TokenGovernor;

/// <summary>The state of a cost circuit breaker.</summary>
public enum CircuitState
{
    /// <summary>Calls flow.</summary>
    Closed = 0,

    /// <summary>Calls fail fast with <see cref="CostCircuitOpenException"/>.</summary>
    Open = 1,

    /// <summary>The cool-down has passed; one probe call is let through. Its cost decides: within the threshold closes the circuit, over it opens it again.</summary>
    HalfOpen = 2,
}
