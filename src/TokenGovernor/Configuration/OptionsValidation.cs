using Microsoft.Extensions.Options;

namespace TokenGovernor;

/// <summary>Runs a source-generated options validator and throws one exception that names the options type and every invalid member.</summary>
internal static class OptionsValidation
{
    public static void ThrowIfInvalid<T>(IValidateOptions<T> validator, T options)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = validator.Validate(typeof(T).Name, options);
        if (result.Failed)
        {
            throw new OptionsValidationException(typeof(T).Name, typeof(T),
                [$"{typeof(T).Name} is invalid: {string.Join("; ", result.Failures ?? [])}"]);
        }
    }
}
