using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace TokenGovernor;

/// <summary>Validates <see cref="TokenGovernorOptions"/> at start-up: data annotations, then a trial build of the price catalog,
/// so that a bad price, a missing price file or a dangling alias fails the host's start with a message that names the setting.</summary>
internal sealed class TokenGovernorOptionsValidator(IConfiguration? section, IEnumerable<TokenGovernorConfigurationSection>? extraSections = null, ILogger? logger = null)
    : IValidateOptions<TokenGovernorOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenGovernorOptions options)
    {
        if (section is not null)
        {
            var unknown = Schema(extraSections).FindUnknownKeys(section, (section as IConfigurationSection)?.Path ?? TokenGovernorOptions.SectionName);
            if (unknown.Count > 0 && options.UnknownKeys == UnknownConfigurationKeyHandling.Fail)
            {
                return ValidateOptionsResult.Fail(unknown.Select(e => e.ToString() +
                    " (set TokenGovernor:UnknownKeys to Warn to log unknown keys instead of failing)"));
            }

            foreach (var error in unknown)
            {
                ConfigurationLog.UnknownKey(logger ?? NullLogger.Instance, error.ToString());
            }
        }

        var data = new TokenGovernorOptionsDataValidator().Validate(name, options);
        if (data.Failed)
        {
            return ValidateOptionsResult.Fail(data.Failures!.Select(FullKeyPath));
        }

        if (options.ReservationLease < TimeSpan.FromSeconds(1) || options.ReservationLease > TimeSpan.FromDays(7))
        {
            return ValidateOptionsResult.Fail(
                $"TokenGovernor:ReservationLease is {options.ReservationLease}; it must be between one second and seven days, and longer than your slowest call.");
        }

        try
        {
            _ = PriceCatalogFactory.Create(options, section, logger: null);
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException)
        {
            return ValidateOptionsResult.Fail($"TokenGovernor price catalog: {ex.Message}");
        }

        try
        {
            _ = PriceCatalogFactory.BudgetPolicies(options, section);
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException)
        {
            return ValidateOptionsResult.Fail($"TokenGovernor budgets: {ex.Message}");
        }

        try
        {
            _ = ConfiguredRoutingTiers.Read(section);
            return ValidateOptionsResult.Success;
        }
        catch (FormatException ex)
        {
            return ValidateOptionsResult.Fail($"TokenGovernor routing: {ex.Message}");
        }
    }

    // The generated data-annotation messages start with the member ("DefaultMaxOutputTokens: The field …"); name the full key
    // instead, as every other start-up error does, with the configured value when configuration set it.
    private string FullKeyPath(string failure)
    {
        var colon = failure.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || typeof(TokenGovernorOptions).GetProperty(failure[..colon]) is not { } property)
        {
            return $"{TokenGovernorOptions.SectionName}: {failure}";
        }

        var path = (section as IConfigurationSection)?.Path ?? TokenGovernorOptions.SectionName;
        var configured = section?[property.Name] is { } value ? $" (configured value '{value}')" : string.Empty;
        return $"Configuration key '{path}:{property.Name}'{configured}:{failure[(colon + 1)..]}";
    }

    /// <summary>
    /// The keys the <c>TokenGovernor</c> section accepts: every property of <see cref="TokenGovernorOptions"/> (by reflection, so
    /// new options are accepted without a change here), with the sections whose configuration shape differs from the options'
    /// (<c>Budgets:Policies</c>, <c>Prices</c>, <c>Routing:Tiers</c>), replay's <c>Pipeline</c>, and the sections features register in DI.
    /// </summary>
    internal static ConfigurationSchema Schema(IEnumerable<TokenGovernorConfigurationSection>? extraSections = null)
    {
        // UnscopedCalls and DefaultScopeKey are read under Budgets, beside the policies they apply to.
        var schema = ConfigurationSchema.FromType(typeof(TokenGovernorOptions))
            .Without(nameof(TokenGovernorOptions.UnscopedCalls), nameof(TokenGovernorOptions.DefaultScopeKey))
            .With(nameof(TokenGovernorOptions.Budgets), ConfigurationSchema.Section(
                [
                    new("Policies", ConfigurationSchema.AnyKeyOf(ConfigurationSchema.FromType(typeof(BudgetPolicy)))),
                    new(nameof(TokenGovernorOptions.UnscopedCalls), ConfigurationSchema.Value),
                    new(nameof(TokenGovernorOptions.DefaultScopeKey), ConfigurationSchema.Value),
                ]))
            .With(nameof(TokenGovernorOptions.Prices), ConfigurationSchema.AnyKeyOf(ConfigurationSchema.FromType(typeof(ConfiguredPriceKeys))))
            .With("Routing", ConfigurationSchema.Section(
                [
                    new("Tiers", ConfigurationSchema.AnyKeyOf(ConfigurationSchema.FromType(typeof(ConfiguredTierKeys)))),
                ]))
            .With("Pipeline", ConfigurationSchema.FromType(typeof(ReplayPipelineKeys)));
        foreach (var extra in extraSections ?? [])
        {
            schema = schema.With(extra.Name, schema.Children!.TryGetValue(extra.Name, out var own) ? own.Merge(extra.Schema) : extra.Schema);
        }

        return schema;
    }
}
