namespace TokenGovernor;

/// <summary>Describes a cost circuit breaker transition.</summary>
/// <param name="scopeKey">The scope whose breaker changed.</param>
/// <param name="from">The previous state.</param>
/// <param name="to">The new state.</param>
/// <param name="windowCost">The scope's cost within the window at the transition.</param>
public sealed class CircuitStateChangedEventArgs(string scopeKey, CircuitState from, CircuitState to, decimal windowCost) : EventArgs
{
    /// <summary>Gets the scope whose breaker changed.</summary>
    public string ScopeKey { get; } = scopeKey;

    /// <summary>Gets the previous state.</summary>
    public CircuitState From { get; } = from;

    /// <summary>Gets the new state.</summary>
    public CircuitState To { get; } = to;

    /// <summary>Gets the scope's cost within the window at the transition.</summary>
    public decimal WindowCost { get; } = windowCost;
}
