using Microsoft.Extensions.Configuration;

namespace TokenGovernor;

/// <summary>
/// The routing tiers listed under <c>TokenGovernor:Routing:Tiers</c>, read and checked once at start-up. A routing client whose
/// <see cref="RoutingOptions.Tiers"/> were left empty in code uses these; with neither, building it fails.
/// </summary>
/// <remarks>Shape: <c>"Routing": { "Tiers": [ { "Name": "Small", "Models": [ "claude-3-5-haiku" ] },
/// { "Name": "Large", "Models": [ "claude-sonnet-4" ], "IsReasoning": false } ] }</c>; the first model of a tier is preferred and
/// the others are its failover deployments.</remarks>
internal sealed class ConfiguredRoutingTiers(IReadOnlyList<ModelTier> tiers)
{
    /// <summary>The configuration path of the tier list, below the <c>TokenGovernor</c> section.</summary>
    public const string SectionPath = "Routing:Tiers";

    public static ConfiguredRoutingTiers None { get; } = new([]);

    public IReadOnlyList<ModelTier> Tiers { get; } = tiers;

    /// <summary>Reads the tiers under <paramref name="governorSection"/> (the <c>TokenGovernor</c> section).</summary>
    /// <exception cref="FormatException">A tier lacks a name or models, repeats a name, or has an unknown key; the message names its full key.</exception>
    public static ConfiguredRoutingTiers Read(IConfiguration? governorSection) =>
        governorSection is null ? None : ReadList(governorSection.GetSection(SectionPath));

    /// <summary>Reads a tier list section (each child one tier).</summary>
    public static ConfiguredRoutingTiers ReadList(IConfigurationSection section)
    {
        var read = new List<ModelTier>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in section.GetChildren())
        {
            var name = t["Name"];
            if (string.IsNullOrWhiteSpace(name))
            {
                throw new FormatException($"Configuration key '{t.Path}:Name' is missing; every tier needs a Name (for example Small or Large).");
            }

            if (!names.Add(name))
            {
                throw new FormatException($"Configuration key '{t.Path}:Name' repeats tier '{name}'; give each tier its own name.");
            }

            var models = t.GetSection("Models").GetChildren().Select(m => m.Value).Where(m => !string.IsNullOrWhiteSpace(m)).Select(m => m!.Trim()).ToArray();
            if (models.Length == 0)
            {
                throw new FormatException($"Configuration key '{t.Path}:Models' is missing or empty; list the tier's model ids, the preferred one first.");
            }

            var reasoning = false;
            if (t["IsReasoning"] is { } r && !bool.TryParse(r, out reasoning))
            {
                throw new FormatException($"Configuration key '{t.Path}:IsReasoning' has value '{r}'; use true or false.");
            }

            if (t.GetChildren().FirstOrDefault(c => !IsTierKey(c.Key)) is { } unknown)
            {
                throw new FormatException($"Configuration key '{unknown.Path}' is not a tier setting; use Name, Models or IsReasoning.");
            }

            read.Add(ModelTier.Of(name, models) with { IsReasoning = reasoning });
        }

        if (read.Count == 0 && section.Exists())
        {
            throw new FormatException($"Configuration key '{section.Path}' lists no tiers; list them as [{{ \"Name\": \"Small\", \"Models\": [\"model-id\"] }}, …] or remove the key.");
        }

        return read.Count == 0 ? None : new ConfiguredRoutingTiers(read);
    }

    private static bool IsTierKey(string key) =>
        string.Equals(key, "Name", StringComparison.OrdinalIgnoreCase) ||
        string.Equals(key, "Models", StringComparison.OrdinalIgnoreCase) ||
        string.Equals(key, "IsReasoning", StringComparison.OrdinalIgnoreCase);
}
