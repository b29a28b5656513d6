// Coverage of the built-in price catalog: every LiteLLM chat/responses entry of the major providers, and a hand list of
// current API models. Run from the repository root: dotnet run --project eng/catalog-coverage [path/to/litellm.json]
using System.Diagnostics;
using System.Text.Json;
using TokenGovernor;
var sw = Stopwatch.StartNew();
var catalog = PriceCatalog.BuiltIn;
Console.WriteLine($"built-in catalog load: {sw.Elapsed.TotalMilliseconds:F1} ms (first access, includes JSON parse)");
using var doc = JsonDocument.Parse(File.ReadAllText(args.Length > 0 ? args[0] : "../shared/data/litellm_model_prices.json"));
var providers = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["openai"] = "OpenAI", ["anthropic"] = "Anthropic", ["gemini"] = "Google (Gemini API)", ["vertex_ai-language-models"] = "Google (Vertex)",
    ["mistral"] = "Mistral", ["deepseek"] = "DeepSeek", ["xai"] = "xAI", ["groq"] = "Groq", ["cerebras"] = "Cerebras",
    ["together_ai"] = "Together", ["fireworks_ai"] = "Fireworks", ["openrouter"] = "OpenRouter", ["bedrock"] = "Bedrock", ["bedrock_converse"] = "Bedrock (Converse)",
    ["azure"] = "Azure OpenAI", ["vertex_ai-anthropic_models"] = "Vertex (Anthropic)",
};
var counts = new Dictionary<string, (int All, int Priced, List<string> Missing)>();
foreach (var p in doc.RootElement.EnumerateObject())
{
    if (p.Value.ValueKind != JsonValueKind.Object || !p.Value.TryGetProperty("litellm_provider", out var prov) || !p.Value.TryGetProperty("mode", out var mode)) continue;
    if (mode.GetString() is not ("chat" or "responses")) continue;
    if (!providers.TryGetValue(prov.GetString()!, out var name)) continue;
    var c = counts.TryGetValue(name, out var cc) ? cc : (All: 0, Priced: 0, Missing: new List<string>());
    c.All++;
    if (catalog.TryGetPrice(p.Name, out _)) c.Priced++; else c.Missing.Add(p.Name);
    counts[name] = c;
}
Console.WriteLine("| provider (LiteLLM chat/responses entries) | models | priced | share |");
foreach (var (name, c) in counts.OrderBy(k => k.Key)) Console.WriteLine($"| {name} | {c.All} | {c.Priced} | {100.0 * c.Priced / c.All:F1}% | {string.Join(", ", c.Missing.Take(4))}");
string[][] current =
[
    ["OpenAI", "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5-chat-latest", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o3", "o3-pro", "o4-mini", "o3-mini", "o1", "gpt-4o-audio-preview", "gpt-realtime", "codex-mini-latest"],
    ["Anthropic", "claude-opus-4-1-20250805", "claude-opus-4-20250514", "claude-sonnet-4-5-20250929", "claude-sonnet-4-20250514", "claude-3-7-sonnet-20250219", "claude-haiku-4-5-20251001", "claude-3-5-haiku-20241022"],
    ["Google", "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash", "gemini-2.0-flash-lite"],
    ["Mistral", "mistral-large-latest", "mistral-medium-latest", "mistral-small-latest", "codestral-latest", "ministral-8b-latest", "ministral-3b-latest", "magistral-medium-latest", "magistral-small-latest", "pixtral-large-latest", "devstral-medium-2507"],
    ["DeepSeek", "deepseek-chat", "deepseek-reasoner"],
    ["xAI", "grok-4", "grok-3", "grok-3-mini", "grok-code-fast-1", "grok-4-fast-reasoning"],
];
Console.WriteLine();
Console.WriteLine("| provider (hand list of current API models) | models | priced | missing |");
foreach (var row in current)
{
    var ids = row[1..];
    var missing = ids.Where(id => !catalog.TryGetPrice(id, out _)).ToList();
    Console.WriteLine($"| {row[0]} | {ids.Length} | {ids.Length - missing.Count} | {string.Join(", ", missing)} |");
}
sw.Restart();
var again = new PriceCatalogBuilder().AddBuiltIn().Build();
Console.WriteLine($"a second catalog built from the embedded data: {sw.Elapsed.TotalMilliseconds:F1} ms");
