namespace TokenGovernor;

/// <summary>Receives budget alerts: soft threshold crossings and refused calls.</summary>
/// <remarks>
/// <see cref="Publish"/> runs on the call's path (inside the ledger's settle for a crossing, inside admission for a refusal): it
/// must not block, must not do I/O and must be thread-safe. A sink that delivers somewhere (a webhook, a queue) enqueues and sends
/// in the background. An exception thrown by a sink is logged and never fails the call. Register sinks in DI
/// (<c>services.AddSingleton&lt;IBudgetAlertSink, MySink&gt;()</c>); every budget layer built from that container delivers to them.
/// </remarks>
public interface IBudgetAlertSink
{
    /// <summary>Takes one alert.</summary>
    /// <param name="alert">The alert.</param>
    void Publish(BudgetAlert alert);
}
