using System.Globalization;
using System.Text.Json;

namespace TokenGovernor.Alerts;

/// <summary>The JSON body of one alert: snake_case fields, absent when unknown, money as JSON numbers.</summary>
internal static class WebhookAlertJson
{
    public static byte[] Serialize(BudgetAlert alert)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", alert.Kind == BudgetAlertKind.ThresholdCrossed ? "threshold_crossed" : "refused");
            w.WriteString("timestamp", alert.Timestamp.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            WriteIf(w, "tenant", alert.Scope.Tenant);
            WriteIf(w, "feature", alert.Scope.Feature);
            WriteIf(w, "session", alert.Scope.Session);
            WriteIf(w, "run", alert.Scope.Run);
            WriteIf(w, "policy", alert.Policy);
            WriteIf(w, "key", alert.Key);
            WriteIf(w, "reason", alert.Reason);
            if (alert.Threshold is { } threshold)
            {
                w.WriteNumber("threshold", threshold);
            }

            if (alert.Utilization is { } utilization)
            {
                w.WriteNumber("utilization", Math.Round(utilization, 6));
            }

            if (alert.Spent is { } spent)
            {
                w.WriteNumber("spent", spent);
            }

            if (alert.Limit is { } limit)
            {
                w.WriteNumber("limit", limit);
            }

            if (alert.Spent is not null || alert.Limit is not null)
            {
                w.WriteString("unit", alert.IsRequestLimit ? "requests" : alert.IsTokenLimit ? "tokens" : "USD");
            }

            if (alert.RetryAfter is { } retryAfter)
            {
                w.WriteNumber("retry_after_seconds", Math.Round(retryAfter.TotalSeconds, 3));
            }

            if (alert.WindowResetsAt is { } resets)
            {
                w.WriteString("window_resets_at", resets.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture));
            }

            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteIf(Utf8JsonWriter w, string name, string? value)
    {
        if (value is not null)
        {
            w.WriteString(name, value);
        }
    }
}
