using System.ComponentModel.DataAnnotations;

namespace TokenGovernor.Alerts;

/// <summary>Options of <see cref="WebhookAlertSink"/>.</summary>
public sealed class WebhookAlertOptions : IValidatableObject
{
    /// <summary>Gets or sets the absolute <c>http</c> or <c>https</c> address every alert is POSTed to, as one JSON object.</summary>
    /// <value>Required; no default.</value>
    [Required]
    public Uri? Url { get; set; }

    /// <summary>Gets or sets how many alerts may wait to be sent. When the endpoint falls this far behind, new alerts are dropped
    /// (counted in <see cref="WebhookAlertSink.DroppedAlerts"/> and on <c>token_governor.alerts</c> with outcome <c>dropped</c>)
    /// rather than slowing calls down.</summary>
    /// <value>Defaults to 1,000.</value>
    [Range(1, 1_000_000)]
    public int QueueCapacity { get; set; } = 1_000;

    /// <summary>Gets or sets how many times a failed POST (a transient failure: 5xx, 408, 429, a network error or an attempt timeout)
    /// is sent again before the alert is given up; 0 sends once.</summary>
    /// <value>Defaults to 3.</value>
    [Range(0, 20)]
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>Gets or sets the wait before the first retry; it doubles for each further one (with jitter when <see cref="UseJitter"/>).</summary>
    /// <value>Defaults to 1 second.</value>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets whether retry delays are randomised, so many instances don't retry in step.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool UseJitter { get; set; } = true;

    /// <summary>Gets or sets how long one POST may take before it is abandoned (and retried).</summary>
    /// <value>Defaults to 10 seconds.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long disposing the sink (at shutdown) waits for queued alerts to be sent before it abandons them.</summary>
    /// <value>Defaults to 5 seconds.</value>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets the headers sent with every POST, for example <c>Authorization</c>.</summary>
    public IDictionary<string, string> Headers { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <inheritdoc />
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Url is not null && (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttp && Url.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult(
                $"WebhookAlertOptions.Url is '{Url}'; it must be an absolute http:// or https:// address.", [nameof(Url)]);
        }

        foreach (var (name, value, min, max) in new[]
        {
            (nameof(RetryDelay), RetryDelay, TimeSpan.Zero, TimeSpan.FromMinutes(10)),
            (nameof(AttemptTimeout), AttemptTimeout, TimeSpan.FromMilliseconds(10), TimeSpan.FromMinutes(5)),
            (nameof(ShutdownTimeout), ShutdownTimeout, TimeSpan.Zero, TimeSpan.FromMinutes(10)),
        })
        {
            // TimeSpan ranges here rather than [Range(typeof(TimeSpan), …)], whose string parsing is not trim-safe.
            if (value < min || value > max)
            {
                yield return new ValidationResult(
                    $"WebhookAlertOptions.{name} is {value}; it must be between {min} and {max}.", [name]);
            }
        }

        foreach (var header in Headers)
        {
            if (string.IsNullOrWhiteSpace(header.Key) || header.Key.Any(c => c <= ' ' || c == ':'))
            {
                yield return new ValidationResult(
                    $"WebhookAlertOptions.Headers has the name '{header.Key}'; a header name must be a non-empty token without spaces or ':'.", [nameof(Headers)]);
            }
        }
    }

    internal WebhookAlertOptions Clone()
    {
        var clone = new WebhookAlertOptions
        {
            Url = Url,
            QueueCapacity = QueueCapacity,
            MaxRetryAttempts = MaxRetryAttempts,
            RetryDelay = RetryDelay,
            UseJitter = UseJitter,
            AttemptTimeout = AttemptTimeout,
            ShutdownTimeout = ShutdownTimeout,
        };
        foreach (var header in Headers)
        {
            clone.Headers[header.Key] = header.Value;
        }

        return clone;
    }
}
