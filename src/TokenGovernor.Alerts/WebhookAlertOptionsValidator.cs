using Microsoft.Extensions.Options;

namespace TokenGovernor.Alerts;

/// <summary>Validates <see cref="WebhookAlertOptions"/> (DataAnnotations and <see cref="WebhookAlertOptions.Validate"/>), source-generated.</summary>
[OptionsValidator]
internal sealed partial class WebhookAlertOptionsValidator : IValidateOptions<WebhookAlertOptions>
{
    /// <summary>Throws one <see cref="OptionsValidationException"/> that lists every invalid member.</summary>
    public static void ThrowIfInvalid(WebhookAlertOptions options)
    {
        var result = new WebhookAlertOptionsValidator().Validate(nameof(WebhookAlertOptions), options);
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(WebhookAlertOptions), typeof(WebhookAlertOptions),
                [$"{nameof(WebhookAlertOptions)} is invalid: {string.Join("; ", result.Failures ?? [])}"]);
        }
    }
}
