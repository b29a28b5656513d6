using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using TokenGovernor;
using TokenGovernor.Alerts;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Sends budget alerts to a webhook.</summary>
public static class WebhookAlertsTokenGovernorBuilderExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the webhook sink sends with (configure it further with <c>services.AddHttpClient(name)</c>).</summary>
    public const string HttpClientName = "TokenGovernor.Alerts.Webhook";

    /// <summary>
    /// Registers a <see cref="WebhookAlertSink"/> as an <see cref="IBudgetAlertSink"/>: every soft threshold crossing and every refused
    /// call of the budget layers built from this container is POSTed as JSON to <paramref name="url"/>, from a background task, with
    /// retries (<see cref="WebhookAlertOptions.MaxRetryAttempts"/>, exponential from <see cref="WebhookAlertOptions.RetryDelay"/>) and a
    /// timeout per attempt through <c>Microsoft.Extensions.Http.Resilience</c>. The options are validated here, and again when the host
    /// starts (after any <c>services.Configure&lt;WebhookAlertOptions&gt;</c>).
    /// </summary>
    /// <param name="builder">The builder from <c>AddTokenGovernor</c>.</param>
    /// <param name="url">The absolute http(s) address to POST to.</param>
    /// <param name="configure">Tunes the queue, retries, timeouts and headers.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="url"/> is <see langword="null"/>.</exception>
    /// <exception cref="OptionsValidationException">An option is invalid (the message names each one).</exception>
    public static TokenGovernorBuilder AddWebhookAlerts(this TokenGovernorBuilder builder, Uri url, Action<WebhookAlertOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(url);
        var configured = new WebhookAlertOptions { Url = url };
        configure?.Invoke(configured);
        WebhookAlertOptionsValidator.ThrowIfInvalid(configured);

        var services = builder.Services;
        services.AddOptions<WebhookAlertOptions>()
            .Configure(o => Copy(configured, o))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookAlertOptions>, WebhookAlertOptionsValidator>());

        services.AddHttpClient(HttpClientName)
            .AddResilienceHandler("token-governor-webhook", static (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<WebhookAlertOptions>>().Value;
                if (options.MaxRetryAttempts > 0)
                {
                    pipeline.AddRetry(new HttpRetryStrategyOptions
                    {
                        MaxRetryAttempts = options.MaxRetryAttempts,
                        Delay = options.RetryDelay,
                        BackoffType = DelayBackoffType.Exponential,
                        UseJitter = options.UseJitter,
                        ShouldRetryAfterHeader = true,
                    });
                }

                pipeline.AddTimeout(options.AttemptTimeout);
            });

        services.TryAddSingleton(sp => new WebhookAlertSink(
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
            sp.GetRequiredService<IOptions<WebhookAlertOptions>>().Value,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<WebhookAlertSink>(),
            sp.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IBudgetAlertSink, WebhookAlertSinkRegistration>());
        return builder;
    }

    private static void Copy(WebhookAlertOptions from, WebhookAlertOptions to)
    {
        to.Url = from.Url;
        to.QueueCapacity = from.QueueCapacity;
        to.MaxRetryAttempts = from.MaxRetryAttempts;
        to.RetryDelay = from.RetryDelay;
        to.UseJitter = from.UseJitter;
        to.AttemptTimeout = from.AttemptTimeout;
        to.ShutdownTimeout = from.ShutdownTimeout;
        foreach (var header in from.Headers)
        {
            to.Headers[header.Key] = header.Value;
        }
    }
}
