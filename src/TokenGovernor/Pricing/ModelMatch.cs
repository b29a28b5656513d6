using System.Text.Json;
using System.Text.RegularExpressions;

namespace TokenGovernor;

/// <summary>
/// A model-id match rule in genai-prices' clause language: <c>equals</c>, <c>starts_with</c>, <c>ends_with</c>, <c>contains</c>,
/// <c>regex</c>, and <c>or</c>/<c>and</c> lists of clauses. Ids are compared lower-cased, as genai-prices compares them.
/// </summary>
internal abstract class ModelMatch
{
    public abstract bool IsMatch(string lowerId);

    public abstract void Write(Utf8JsonWriter writer);

    public static ModelMatch Parse(JsonElement e, string context)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"{context}: a match clause must be a JSON object.");
        }

        foreach (var p in e.EnumerateObject())
        {
            switch (p.Name)
            {
                case "or":
                case "and":
                    var parts = p.Value.EnumerateArray().Select(x => Parse(x, context)).ToArray();
                    return p.Name == "or" ? new Any(parts) : new All(parts);
                case "equals":
                case "starts_with":
                case "ends_with":
                case "contains":
                case "regex":
                    var text = p.Value.GetString() ?? throw new FormatException($"{context}: '{p.Name}' must be a string.");
                    return new Text(p.Name, p.Name == "regex" ? text : text.ToLowerInvariant());
            }
        }

        throw new FormatException($"{context}: unknown match clause {e.GetRawText()}; use equals, starts_with, ends_with, contains, regex, or, and.");
    }

    public static ModelMatch EqualsId(string id) => new Text("equals", id.ToLowerInvariant());

    private sealed class Text : ModelMatch
    {
        private readonly string _kind;
        private readonly string _value;
        private readonly Regex? _regex;

        public Text(string kind, string value)
        {
            _kind = kind;
            _value = value;
            if (kind == "regex")
            {
                _regex = new Regex(value, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
            }
        }

        public override bool IsMatch(string lowerId) => _kind switch
        {
            "equals" => string.Equals(lowerId, _value, StringComparison.Ordinal),
            "starts_with" => lowerId.StartsWith(_value, StringComparison.Ordinal),
            "ends_with" => lowerId.EndsWith(_value, StringComparison.Ordinal),
            "contains" => lowerId.Contains(_value, StringComparison.Ordinal),
            _ => _regex!.IsMatch(lowerId),
        };

        public override void Write(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteString(_kind, _value);
            writer.WriteEndObject();
        }
    }

    private sealed class Any(ModelMatch[] parts) : ModelMatch
    {
        public override bool IsMatch(string lowerId)
        {
            foreach (var p in parts)
            {
                if (p.IsMatch(lowerId))
                {
                    return true;
                }
            }

            return false;
        }

        public override void Write(Utf8JsonWriter writer) => WriteList(writer, "or", parts);
    }

    private sealed class All(ModelMatch[] parts) : ModelMatch
    {
        public override bool IsMatch(string lowerId)
        {
            foreach (var p in parts)
            {
                if (!p.IsMatch(lowerId))
                {
                    return false;
                }
            }

            return true;
        }

        public override void Write(Utf8JsonWriter writer) => WriteList(writer, "and", parts);
    }

    private static void WriteList(Utf8JsonWriter writer, string name, ModelMatch[] parts)
    {
        writer.WriteStartObject();
        writer.WriteStartArray(name);
        foreach (var p in parts)
        {
            p.Write(writer);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}

/// <summary>A provider of the catalog's match rules: which ids it claims and which spellings name it.</summary>
internal sealed record CatalogProvider(string Id, ModelMatch? ModelMatch, ModelMatch? ProviderMatch, IReadOnlyList<string> FallbackProviders, bool Home);

/// <summary>One model's match rule: ids it matches resolve to the price keyed <see cref="ModelKey"/>.</summary>
internal sealed record CatalogRule(string ProviderId, string ModelKey, ModelMatch Match);
