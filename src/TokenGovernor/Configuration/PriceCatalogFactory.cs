using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace TokenGovernor;

/// <summary>Builds the DI price catalog from <see cref="TokenGovernorOptions"/> and the configuration section.</summary>
internal static class PriceCatalogFactory
{
    public static PriceCatalog Create(TokenGovernorOptions options, IConfiguration? section, ILogger? logger)
    {
        var builder = new PriceCatalogBuilder();
        if (options.IncludeBuiltInPrices)
        {
            builder.AddBuiltIn();
        }

        foreach (var file in options.PriceFiles)
        {
            try
            {
                builder.AddPriceFile(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new FormatException($"TokenGovernor:PriceFiles entry '{file}' could not be read: {ex.Message}", ex);
            }
        }

        if (section is not null)
        {
            builder.AddConfiguration(section);
        }

        foreach (var price in options.Prices)
        {
            builder.Add(price);
        }

        foreach (var alias in options.Aliases)
        {
            builder.AddAlias(alias.Key, alias.Value);
        }

        ModelPrice? fallback = null;
        if (options.UnknownModelPolicy == UnknownModelPolicy.UseFallbackPrice)
        {
            if (string.IsNullOrWhiteSpace(options.FallbackModelId))
            {
                throw new FormatException("TokenGovernor:FallbackModelId is required when TokenGovernor:UnknownModelPolicy is UseFallbackPrice; set it to a model id in the catalog, e.g. \"gpt-4o\".");
            }

            var probe = builder.SetUnknownModelPolicy(UnknownModelPolicy.Throw).Build();
            if (!probe.TryGetPrice(options.FallbackModelId, out fallback))
            {
                throw new FormatException($"TokenGovernor:FallbackModelId '{options.FallbackModelId}' is not in the price catalog; name a model that has a price.");
            }
        }

        return builder.SetUnknownModelPolicy(options.UnknownModelPolicy, fallback)
            .SetStaleAfterDays(options.PriceCatalogStaleAfterDays)
            .SetLogger(logger)
            .Build();
    }

    /// <summary>The budget policies from configuration (<c>Budgets:Policies</c>) followed by those set in code.</summary>
    public static List<BudgetPolicy> BudgetPolicies(TokenGovernorOptions options, IConfiguration? section)
    {
        var list = new List<BudgetPolicy>();
        if (section is not null)
        {
            foreach (var p in section.GetSection("Budgets:Policies").GetChildren())
            {
                var configured = BudgetPolicyConfiguration.Read(p);
                var errors = configured.Errors();
                if (errors.Count > 0)
                {
                    // Name each setting by its full key (TokenGovernor:Budgets:Policies:0:CostLimit), where the user can find it.
                    throw new FormatException(string.Join("; ", errors.Select(e => $"Configuration key '{p.Path}:{e.Member}' of budget policy '{configured.Name}': {e.Message}")) + ".");
                }

                list.Add(configured);
            }
        }

        foreach (var policy in options.Budgets)
        {
            policy.Validate();
        }

        list.AddRange(options.Budgets);

        var duplicate = list.GroupBy(p => p.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new FormatException($"Two budget policies are named '{duplicate.Key}'; give each a unique TokenGovernor:Budgets:Policies:N:Name.");
        }

        return list;
    }
}
