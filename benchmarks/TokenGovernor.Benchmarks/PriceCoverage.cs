using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace TokenGovernor.Benchmarks;

/// <summary>
/// Coverage of the price catalog, not a timing: (1) each current (not deprecated) model of the major providers in genai-prices,
/// under every spelling its match rule lists, resolves in the built-in catalog to that provider's price; (2) held out: the model
/// keys of LiteLLM's table, resolved by a catalog built from genai-prices alone (none of LiteLLM's entries), per LiteLLM provider,
/// and how many of those agree on input and output rates. Also the built-in catalog's load time.
/// </summary>
internal static class PriceCoverage
{
    private static readonly string[] s_major = ["openai", "anthropic", "google", "mistral", "deepseek", "x-ai", "groq", "cerebras", "fireworks", "together", "aws", "azure", "openrouter", "zhipuai", "moonshotai"];

    public static void Run(string litellmPath, string genaiProvidersPath)
    {
        var sw = Stopwatch.StartNew();
        var builtIn = new PriceCatalogBuilder().AddBuiltIn().Build();
        var cold = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        const int runs = 20;
        for (var i = 0; i < runs; i++)
        {
            _ = new PriceCatalogBuilder().AddBuiltIn().Build();
        }

        Console.WriteLine(FormattableString.Invariant($"built-in catalog: {builtIn.Models.Count} models, as of {builtIn.AsOf:yyyy-MM-dd}; load {cold:F1} ms cold (first, JIT), {sw.Elapsed.TotalMilliseconds / runs:F1} ms warm (mean of {runs})"));

        using var genai = JsonDocument.Parse(File.ReadAllBytes(genaiProvidersPath));
        Console.WriteLine();
        Console.WriteLine("(1) current models of each provider in genai-prices, every listed spelling priced with that provider's price");
        Console.WriteLine("provider         models  covered  share   spellings  covered");
        foreach (var provider in genai.RootElement.EnumerateArray())
        {
            var id = provider.GetProperty("id").GetString()!;
            if (!s_major.Contains(id))
            {
                continue;
            }

            int models = 0, covered = 0, spellings = 0, spellingsCovered = 0;
            var misses = new List<string>();
            foreach (var m in provider.GetProperty("models").EnumerateArray())
            {
                if (m.TryGetProperty("deprecated", out var dep) && dep.ValueKind == JsonValueKind.True)
                {
                    continue;
                }

                models++;
                var names = new List<string> { m.GetProperty("id").GetString()! };
                Equals(m.GetProperty("match"), names);
                var all = true;
                foreach (var name in names.Distinct(StringComparer.OrdinalIgnoreCase))
                {
                    spellings++;
                    if (builtIn.TryGetPrice(name, out var p) && string.Equals(p.Provider, id, StringComparison.OrdinalIgnoreCase))
                    {
                        spellingsCovered++;
                    }
                    else
                    {
                        all = false;
                        if (misses.Count < 3)
                        {
                            misses.Add($"{name}→{(p is null ? "none" : p.ModelId)}");
                        }
                    }
                }

                covered += all ? 1 : 0;
            }

            Console.WriteLine(FormattableString.Invariant($"{id,-16} {models,6} {covered,8} {(double)covered / Math.Max(1, models),6:P1} {spellings,10} {spellingsCovered,8}   {string.Join(", ", misses)}"));
        }

        var genaiOnly = new PriceCatalogBuilder().AddPriceFile(genaiProvidersPath).Build();
        using var litellm = JsonDocument.Parse(File.ReadAllBytes(litellmPath));
        var byProvider = new Dictionary<string, (int Keys, int Resolved, int Agree)>(StringComparer.Ordinal);
        foreach (var entry in litellm.RootElement.EnumerateObject())
        {
            var e = entry.Value;
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("input_cost_per_token", out var inp) || inp.ValueKind != JsonValueKind.Number
                || !e.TryGetProperty("mode", out var mode) || mode.GetString() is not ("chat" or "responses" or "embedding"))
            {
                continue;
            }

            var provider = e.TryGetProperty("litellm_provider", out var lp) ? lp.GetString() ?? "?" : "?";
            provider = provider.StartsWith("vertex_ai", StringComparison.Ordinal) ? "vertex_ai" : provider;
            var (keys, resolved, agree) = byProvider.GetValueOrDefault(provider);
            keys++;
            if (genaiOnly.TryGetPrice(entry.Name, out var price))
            {
                resolved++;
                var input = inp.GetDecimal() * 1_000_000m;
                var output = e.TryGetProperty("output_cost_per_token", out var o) && o.ValueKind == JsonValueKind.Number ? o.GetDecimal() * 1_000_000m : 0m;
                agree += price.InputPerMillion == input && price.OutputPerMillion == output ? 1 : 0;
            }

            byProvider[provider] = (keys, resolved, agree);
        }

        Console.WriteLine();
        Console.WriteLine("(2) held out: LiteLLM 2025-09-01 keys resolved by a catalog built from genai-prices alone");
        Console.WriteLine("litellm provider       keys  resolved  share   same input+output rate");
        foreach (var (provider, (keys, resolved, agree)) in byProvider.OrderByDescending(p => p.Value.Keys).Take(16))
        {
            Console.WriteLine(FormattableString.Invariant($"{provider,-20} {keys,6} {resolved,9} {(double)resolved / keys,6:P1}   {agree} ({(double)agree / Math.Max(1, resolved):P0} of resolved)"));
        }

        var total = byProvider.Values.Aggregate((0, 0, 0), (a, v) => (a.Item1 + v.Keys, a.Item2 + v.Resolved, a.Item3 + v.Agree));
        Console.WriteLine(FormattableString.Invariant($"{"all",-20} {total.Item1,6} {total.Item2,9} {(double)total.Item2 / total.Item1,6:P1}   {total.Item3} ({(double)total.Item3 / Math.Max(1, total.Item2):P0} of resolved)"));
        _ = CultureInfo.InvariantCulture;
    }

    private static void Equals(JsonElement clause, List<string> names)
    {
        if (clause.TryGetProperty("or", out var or))
        {
            foreach (var c in or.EnumerateArray())
            {
                Equals(c, names);
            }
        }
        else if (clause.TryGetProperty("equals", out var eq))
        {
            names.Add(eq.GetString()!);
        }
    }
}
