using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace TokenGovernor.Cli;

/// <summary>
/// Sets an options object's settable properties (numbers, booleans, strings, enums, time spans, and their nullable forms) from a
/// configuration section, key by key, with the library's own options types as the schema: an unknown key, or one whose property
/// cannot be set from text, fails with a message that names it and lists the keys the section accepts. Keys that need more than
/// text (tiers, ladders, embedders) are handled by the caller.
/// </summary>
internal static class OptionsSectionBinder
{
    public static void Bind<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(IConfigurationSection section, T target,
        IReadOnlyDictionary<string, Action<IConfigurationSection>>? special = null)
        where T : class
    {
        var properties = typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.SetMethod?.IsPublic == true && Settable(p.PropertyType))
            .ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
        foreach (var child in section.GetChildren())
        {
            if (special?.FirstOrDefault(s => string.Equals(s.Key, child.Key, StringComparison.OrdinalIgnoreCase)).Value is { } handler)
            {
                handler(child);
                continue;
            }

            if (!properties.TryGetValue(child.Key, out var property))
            {
                var keys = properties.Keys.Concat(special?.Keys ?? []).Order(StringComparer.Ordinal);
                throw new FormatException($"Configuration key '{child.Path}' is not a setting of {typeof(T).Name}; use one of: {string.Join(", ", keys)}.");
            }

            property.SetValue(target, Convert(child, property.PropertyType));
        }
    }

    private static bool Settable(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsEnum || t == typeof(string) || t == typeof(bool) || t == typeof(int) || t == typeof(long) || t == typeof(double) || t == typeof(float)
            || t == typeof(decimal) || t == typeof(TimeSpan);
    }

    private static object? Convert(IConfigurationSection child, Type type)
    {
        var text = child.Value;
        var nullable = Nullable.GetUnderlyingType(type);
        var t = nullable ?? type;
        if (string.IsNullOrEmpty(text))
        {
            return nullable is not null || t == typeof(string)
                ? null
                : throw new FormatException($"Configuration key '{child.Path}' needs a value.");
        }

        var inv = CultureInfo.InvariantCulture;
        object? value = t switch
        {
            _ when t == typeof(string) => text,
            _ when t == typeof(bool) => bool.TryParse(text, out var b) ? b : null,
            _ when t == typeof(int) => int.TryParse(text, NumberStyles.Integer, inv, out var i) ? i : null,
            _ when t == typeof(long) => long.TryParse(text, NumberStyles.Integer, inv, out var l) ? l : null,
            _ when t == typeof(double) => double.TryParse(text, NumberStyles.Float, inv, out var d) ? d : null,
            _ when t == typeof(float) => float.TryParse(text, NumberStyles.Float, inv, out var f) ? f : null,
            _ when t == typeof(decimal) => decimal.TryParse(text, NumberStyles.Float, inv, out var m) ? m : null,
            _ when t == typeof(TimeSpan) => TimeSpan.TryParse(text, inv, out var s) ? s : null,
            _ when t.IsEnum => Enum.TryParse(t, text, ignoreCase: true, out var e) && Enum.IsDefined(t, e!) ? e : null,
            _ => null,
        };
        return value ?? throw new FormatException($"Configuration key '{child.Path}' has value '{text}', which is not a valid {t.Name}" +
            (t.IsEnum ? $" (use one of: {string.Join(", ", Enum.GetNames(t))})" : t == typeof(TimeSpan) ? " (use a time span such as '00:05:00')" : string.Empty) + ".");
    }
}
