using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace TokenGovernor;

/// <summary>Reads a <see cref="BudgetPolicy"/> from a configuration section; every error names the configuration key.</summary>
internal static class BudgetPolicyConfiguration
{
    public static BudgetPolicy Read(IConfigurationSection section)
    {
        var name = section["Name"];
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new FormatException($"Configuration key '{section.Path}:Name' is required: every budget policy needs a unique name.");
        }

        var policy = new BudgetPolicy(name)
        {
            Level = ReadEnum<ScopeLevel>(section, "Level", allowGlobal: true),
            Key = section["Key"],
            CostLimit = ReadDecimal(section, "CostLimit"),
            TokenLimit = ReadLong(section, "TokenLimit", "tokens"),
            RequestLimit = ReadLong(section, "RequestLimit", "requests per window"),
            Window = ReadEnum<BudgetWindow>(section, "Window", allowGlobal: false) ?? BudgetWindow.Day,
            TimeZoneId = section["TimeZoneId"] ?? "UTC",
            Mode = ReadEnum<BudgetMode>(section, "Mode", allowGlobal: false) ?? BudgetMode.Strict,
        };

        if (section["SlidingWindow"] is { } sliding)
        {
            policy = policy with
            {
                SlidingWindow = TimeSpan.TryParse(sliding, CultureInfo.InvariantCulture, out var span)
                    ? span
                    : throw new FormatException($"Configuration key '{section.Path}:SlidingWindow' has value '{sliding}'; use a time span such as '1.00:00:00' (one day)."),
            };
        }

        if (ReadEnum<DayOfWeek>(section, "FirstDayOfWeek", allowGlobal: false) is { } firstDay)
        {
            policy = policy with { FirstDayOfWeek = firstDay };
        }

        var thresholds = section.GetSection("SoftThresholds").GetChildren().ToList();
        if (thresholds.Count > 0)
        {
            policy = policy with
            {
                SoftThresholds = thresholds.Select(t => double.TryParse(t.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
                    ? v
                    : throw new FormatException($"Configuration key '{t.Path}' has value '{t.Value}'; a soft threshold is a fraction such as 0.8.")).ToArray(),
            };
        }

        return policy;
    }

    private static T? ReadEnum<T>(IConfigurationSection section, string key, bool allowGlobal)
        where T : struct, Enum
    {
        var text = section[key];
        if (string.IsNullOrWhiteSpace(text) || (allowGlobal && text.Equals("Global", StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        return Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value)
            ? value
            : throw new FormatException($"Configuration key '{section.Path}:{key}' has value '{text}'; use one of: {string.Join(", ", Enum.GetNames<T>())}{(allowGlobal ? ", Global" : string.Empty)}.");
    }

    private static decimal? ReadDecimal(IConfigurationSection section, string key) => section[key] is { } text
        ? decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"Configuration key '{section.Path}:{key}' has value '{text}'; it must be a number of US dollars.")
        : null;

    private static long? ReadLong(IConfigurationSection section, string key, string unit) => section[key] is { } text
        ? long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"Configuration key '{section.Path}:{key}' has value '{text}'; it must be a whole number of {unit}.")
        : null;
}
