using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace TokenGovernor;

/// <summary>Validates <see cref="TokenGovernorOptions"/> at start-up: data annotations, then a trial build of the price catalog,
/// so that a bad price, a missing price file or a dangling alias fails the host's start with a message that names the setting.</summary>
internal sealed class TokenGovernorOptionsValidator(IConfiguration? section) : IValidateOptions<TokenGovernorOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenGovernorOptions options)
    {
        var data = new TokenGovernorOptionsDataValidator().Validate(name, options);
        if (data.Failed)
        {
            return data;
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
            return ValidateOptionsResult.Success;
        }
        catch (Exception ex) when (ex is FormatException or InvalidOperationException or ArgumentException)
        {
            return ValidateOptionsResult.Fail($"TokenGovernor budgets: {ex.Message}");
        }
    }
}
