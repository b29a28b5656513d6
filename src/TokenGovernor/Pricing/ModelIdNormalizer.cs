using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace TokenGovernor;

/// <summary>Peels decorations off model ids: provider prefixes, Bedrock vendor/region prefixes, version and date suffixes.</summary>
internal static partial class ModelIdNormalizer
{
    internal static string? PeelOnce(string id, FrozenDictionary<string, ModelPrice> prices, FrozenDictionary<string, string> aliases)
    {
        // 1. Provider prefixes ("openai/gpt-4o", "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo"): try each suffix after a '/',
        //    shortest prefix first, so that ids that themselves contain '/' still resolve.
        var slash = id.IndexOf('/', StringComparison.Ordinal);
        while (slash >= 0 && slash < id.Length - 1)
        {
            var rest = id[(slash + 1)..];
            if (prices.ContainsKey(rest) || aliases.ContainsKey(rest))
            {
                return rest;
            }

            slash = id.IndexOf('/', slash + 1);
        }

        // 2. Bedrock and Vertex spellings: "us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4@20250514".
        var bedrock = BedrockPrefix().Match(id);
        if (bedrock.Success)
        {
            return id[bedrock.Length..];
        }

        var version = VersionSuffix().Match(id);
        if (version.Success)
        {
            return id[..version.Index];
        }

        var date = DateSuffix().Match(id);
        if (date.Success)
        {
            return id[..date.Index];
        }

        // 3. Finally drop any remaining provider prefix so "azure/gpt-4o-2024-08-06" reaches its date suffix.
        var lastSlash = id.LastIndexOf('/');
        return lastSlash >= 0 && lastSlash < id.Length - 1 ? id[(lastSlash + 1)..] : null;
    }

    [GeneratedRegex(@"^(?:(?:us|eu|apac|global)\.)?(?:anthropic|meta|mistral|amazon|cohere|deepseek|qwen)\.", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BedrockPrefix();

    [GeneratedRegex(@"-v\d+(?::\d+)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex VersionSuffix();

    // -2024-08-06, -20241022, @20250514, -0613 (OpenAI's MMDD snapshots), -001 (Gemini revisions).
    [GeneratedRegex(@"(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}|\d{3}))$", RegexOptions.CultureInvariant)]
    private static partial Regex DateSuffix();
}
