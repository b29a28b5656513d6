using System.Collections;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace TokenGovernor;

/// <summary>
/// The configuration keys a section accepts, derived by reflection from the options type it binds to: every public readable
/// property (not delegates) is a key, a class is a section of its own properties, a list or a dictionary accepts any key with
/// its element's shape. A property added to an options type is accepted without any change here.
/// </summary>
internal sealed class ConfigurationSchema
{
    private const int MaxDepth = 8;

    private ConfigurationSchema(Dictionary<string, ConfigurationSchema>? children, ConfigurationSchema? anyKey, bool checkedByOwner = false)
    {
        Children = children;
        AnyKey = anyKey;
        CheckedByOwner = checkedByOwner;
    }

    /// <summary>A section whose keys its reader checks itself (strictly, with its own messages), so this check accepts any key below it.</summary>
    public static ConfigurationSchema CheckedElsewhere { get; } = new(null, null, checkedByOwner: true);

    /// <summary>Gets a value indicating whether the section's own reader checks its keys (<see cref="CheckedElsewhere"/>).</summary>
    public bool CheckedByOwner { get; }

    /// <summary>A single value (string, number, enum, time span, …): it has no keys below it.</summary>
    public static ConfigurationSchema Value { get; } = new(null, null);

    /// <summary>Gets the named keys of a section, or <see langword="null"/> for a value or a list/dictionary.</summary>
    public Dictionary<string, ConfigurationSchema>? Children { get; }

    /// <summary>Gets the shape of every child of a list or dictionary (any key is accepted).</summary>
    public ConfigurationSchema? AnyKey { get; }

    public bool IsValue => Children is null && AnyKey is null && !CheckedByOwner;

    /// <summary>A section with exactly these keys.</summary>
    public static ConfigurationSchema Section(IEnumerable<KeyValuePair<string, ConfigurationSchema>> children) =>
        new(new Dictionary<string, ConfigurationSchema>(children, StringComparer.OrdinalIgnoreCase), null);

    /// <summary>A list or dictionary whose children all have the given shape.</summary>
    public static ConfigurationSchema AnyKeyOf(ConfigurationSchema element) => new(null, element);

    /// <summary>The shape of <paramref name="type"/> as the configuration binder reads it.</summary>
    public static ConfigurationSchema FromType(Type type) => FromType(type, 0);

    /// <summary>This section with <paramref name="name"/> set (added or replaced) to <paramref name="schema"/>.</summary>
    public ConfigurationSchema With(string name, ConfigurationSchema schema)
    {
        var children = new Dictionary<string, ConfigurationSchema>(Children ?? [], StringComparer.OrdinalIgnoreCase) { [name] = schema };
        return new ConfigurationSchema(children, null);
    }

    /// <summary>The keys of this section and of <paramref name="other"/> (a key in both gets both shapes' keys); a section one of them
    /// leaves to its reader stays so.</summary>
    public ConfigurationSchema Merge(ConfigurationSchema other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (CheckedByOwner || other.CheckedByOwner)
        {
            return CheckedElsewhere;
        }

        if (Children is null || other.Children is null)
        {
            return other;
        }

        var children = new Dictionary<string, ConfigurationSchema>(Children, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, schema) in other.Children)
        {
            children[name] = children.TryGetValue(name, out var mine) ? mine.Merge(schema) : schema;
        }

        return new ConfigurationSchema(children, null);
    }

    /// <summary>This section without <paramref name="names"/> (settings read from another place in the section).</summary>
    public ConfigurationSchema Without(params string[] names)
    {
        var children = new Dictionary<string, ConfigurationSchema>(Children ?? [], StringComparer.OrdinalIgnoreCase);
        foreach (var name in names)
        {
            children.Remove(name);
        }

        return new ConfigurationSchema(children, null);
    }

    /// <summary>Every key under <paramref name="section"/> that this schema does not accept, with the nearest valid key.</summary>
    public List<ConfigurationKeyError> FindUnknownKeys(IConfiguration section, string path)
    {
        var errors = new List<ConfigurationKeyError>();
        Walk(section, path, errors);
        return errors;
    }

    private void Walk(IConfiguration section, string path, List<ConfigurationKeyError> errors)
    {
        if (CheckedByOwner)
        {
            return;
        }

        foreach (var child in section.GetChildren())
        {
            var childPath = path + ConfigurationPath.KeyDelimiter + child.Key;
            if (AnyKey is not null)
            {
                AnyKey.Walk(child, childPath, errors);
            }
            else if (Children is not null && Children.TryGetValue(child.Key, out var schema))
            {
                schema.Walk(child, childPath, errors);
            }
            else if (IsValue)
            {
                errors.Add(new ConfigurationKeyError(childPath, child.Key, null, path + " is a single value, not a section"));
            }
            else
            {
                errors.Add(new ConfigurationKeyError(childPath, child.Key, Nearest(child.Key, Children!.Keys), null));
            }
        }
    }

    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Reflects over options types only to list their configuration keys, as ConfigurationBinder does; the options types are rooted by AddTokenGovernor and their validators. A property trimmed away is one nothing binds, so reporting its key as unknown is correct.")]
    [UnconditionalSuppressMessage("Trimming", "IL2072", Justification = "Reflects over options types only to list their configuration keys, as ConfigurationBinder does; the options types are rooted by AddTokenGovernor and their validators. A property trimmed away is one nothing binds, so reporting its key as unknown is correct.")]
    private static ConfigurationSchema FromType(Type type, int depth)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (depth > MaxDepth || IsValueType(type))
        {
            return Value;
        }

        if (ElementOf(type) is { } element)
        {
            return AnyKeyOf(FromType(element, depth + 1));
        }

        var children = new Dictionary<string, ConfigurationSchema>(StringComparer.OrdinalIgnoreCase);
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is not { IsPublic: true } ||
                typeof(Delegate).IsAssignableFrom(property.PropertyType))
            {
                continue;
            }

            children[property.Name] = FromType(property.PropertyType, depth + 1);
        }

        return new ConfigurationSchema(children, null);
    }

    private static bool IsValueType(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan) ||
        type == typeof(DateTime) || type == typeof(DateTimeOffset) || type == typeof(Guid) || type == typeof(Uri) ||
        type == typeof(DateOnly) || type == typeof(TimeOnly) || type == typeof(object);

    // The value type of a dictionary, or the element type of a list/array/enumerable; null for other types.
    [UnconditionalSuppressMessage("Trimming", "IL2070", Justification = "Reflects over options types only to list their configuration keys, as ConfigurationBinder does; the options types are rooted by AddTokenGovernor and their validators. A property trimmed away is one nothing binds, so reporting its key as unknown is correct.")]
    private static Type? ElementOf(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (!typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        var interfaces = type.IsInterface ? type.GetInterfaces().Append(type) : type.GetInterfaces();
        var dictionary = interfaces.FirstOrDefault(i => i.IsGenericType &&
            (i.GetGenericTypeDefinition() == typeof(IDictionary<,>) || i.GetGenericTypeDefinition() == typeof(IReadOnlyDictionary<,>)));
        if (dictionary is not null)
        {
            return dictionary.GetGenericArguments()[1];
        }

        var enumerable = interfaces.FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0] ?? typeof(object);
    }

    /// <summary>The valid key closest to <paramref name="key"/> (case-insensitive edit distance), when it is close enough to be a typo.</summary>
    internal static string? Nearest(string key, IEnumerable<string> candidates)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var d = EditDistance.Between(key.ToUpperInvariant(), candidate.ToUpperInvariant());
            if (d < bestDistance)
            {
                best = candidate;
                bestDistance = d;
            }
        }

        return best is not null && bestDistance <= Math.Max(2, key.Length / 3) ? best : null;
    }
}

/// <summary>A configuration key no setting reads: its full path, the key, the nearest valid key (if any), or why it is wrong.</summary>
internal sealed record ConfigurationKeyError(string Path, string Key, string? DidYouMean, string? Problem)
{
    public override string ToString() =>
        Problem is not null
            ? $"Configuration key '{Path}' is not read: {Problem}"
            : DidYouMean is not null
                ? $"Configuration key '{Path}' is not a TokenGovernor setting: '{Key}': did you mean '{DidYouMean}'?"
                : $"Configuration key '{Path}' is not a TokenGovernor setting: '{Key}' is unknown here.";
}
