namespace TokenGovernor.Alerts;

/// <summary>The registered <see cref="WebhookAlertSink"/> among the <see cref="IBudgetAlertSink"/>s; the sink itself is a singleton of its
/// own, disposed (and so drained) once by the container.</summary>
internal sealed class WebhookAlertSinkRegistration(WebhookAlertSink sink) : IBudgetAlertSink
{
    public void Publish(BudgetAlert alert) => sink.Publish(alert);
}
