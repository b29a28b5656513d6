using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov cost</c>: the cost of one usage, of a file of normalised usages, or of raw provider usage blocks.</summary>
/// <remarks>
/// With <c>--json</c>, every non-blank input line gets exactly one output line, <c>{"model","priced_model","total",…}</c> or
/// <c>{"model","line","error"}</c>; the summary goes to stderr. Without it, one text line per input line and the summary on stdout.
/// The exit code is 1 when any line could not be priced, 0 when all were, 2 for bad arguments.
/// </remarks>
internal sealed class CostCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "cost";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov cost --model M --input N --output N [--cached-input N] [--cache-write N] [--cache-write-1h N] [--reasoning N]
                        [--web-searches N] [--service-tier T] [--at yyyy-MM-dd] [--json]
          tokengov cost --usages F.jsonl [--json]
              One line per usage {"model","input_tokens"|"prompt_tokens","output_tokens"|"completion_tokens","cached_input_tokens"?,
              "cache_write_tokens"?,"reasoning_tokens"?}; input counts every prompt token, output includes reasoning.
          tokengov cost --raw F.jsonl [--json]
              One line per provider usage {"model","format","usage":{...as the API returned it},"service_tier"?,"timestamp"?};
              format: openai-chat, openai-responses, anthropic, gemini, mistral, deepseek, openrouter, bedrock, ollama, auto.
              F may be - (stdin). --json: exactly one JSON line per input line, {"model","total",...} or {"model","error"};
              the summary goes to stderr. Exit code 1 when any line could not be priced.
        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var usagesPath = cli.String("usages");
        var rawPath = cli.String("raw");
        if (usagesPath is not null && rawPath is not null)
        {
            throw new CliUsageException("give either --usages or --raw, not both");
        }

        if (usagesPath is not null || rawPath is not null)
        {
            var json = cli.Flag("json");
            cli.ThrowIfUnknownOptions();
            return await BatchAsync(rawPath ?? usagesPath!, raw: rawPath is not null, json, context);
        }

        return await SingleAsync(cli, context);
    }

    private static async Task<int> SingleAsync(CliArguments cli, CliContext context)
    {
        var model = cli.String("model") ?? throw new CliUsageException("cost needs --model (or --usages F.jsonl, or --raw F.jsonl)");
        var input = cli.Tokens("input") ?? throw new CliUsageException("cost needs --input N");
        var output = cli.Tokens("output") ?? throw new CliUsageException("cost needs --output N");
        var cached = cli.Tokens("cached-input") ?? 0;
        var write = cli.Tokens("cache-write") ?? 0;
        var write1h = cli.Tokens("cache-write-1h") ?? 0;
        var reasoning = cli.Tokens("reasoning") ?? 0;
        var searches = cli.Tokens("web-searches") ?? 0;
        var tier = cli.String("service-tier");
        var at = cli.String("at") is { } atText ? ParseTime(atText) ?? throw new CliUsageException($"--at must be a date or time (yyyy-MM-dd or ISO 8601), not '{atText}'") : (DateTimeOffset?)null;
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();
        if (cached + write + write1h > input)
        {
            throw new CliUsageException("cached input plus cache writes exceed input tokens; input counts every prompt token, including cache reads and writes");
        }

        if (reasoning > output)
        {
            throw new CliUsageException("reasoning tokens exceed output tokens; output counts every generated token, including reasoning");
        }

        var usage = new TokenUsage(input - cached - write - write1h, cached, write + write1h, output - reasoning, reasoning)
        {
            CacheWrite1hTokens = write1h,
            WebSearchCalls = searches,
        };
        var price = Resolve(context.Catalog, model);
        var cost = CostCalculator.CalculateAt(usage, price, tier, at ?? TimeProvider.System.GetUtcNow());
        if (json)
        {
            await context.Stdout.WriteLineAsync(CliApp.Json(w => WriteCost(w, model, null, price, cost, usage, reported: null)));
            return 0;
        }

        var table = new Table().AddColumn("component").AddColumn(new TableColumn("USD").RightAligned());
        table.Title = new TableTitle($"{Markup.Escape(model)} → priced as {Markup.Escape(price.ModelId)}{(cost.ServiceTier is { } t ? $" ({Markup.Escape(t)} tier)" : string.Empty)}");
        foreach (var (name, value) in Components(cost))
        {
            if (value != 0 || name is "input" or "output")
            {
                table.AddRow(name.Replace('_', ' '), CliApp.Money(value));
            }
        }

        table.AddRow("[bold]total[/]", $"[bold]{CliApp.Money(cost.Total)}[/]");
        CliApp.Render(context.Stdout, table);
        return 0;
    }

    private static async Task<int> BatchAsync(string path, bool raw, bool json, CliContext context)
    {
        if (path != "-")
        {
            CliApp.RequireFile(path, raw ? "--raw" : "--usages");
        }

        int priced = 0, failed = 0;
        var total = 0m;
        var now = TimeProvider.System.GetUtcNow();
        using var reader = path == "-" ? null : CliApp.OpenText(path);
        var input = reader ?? context.Stdin;
        var lineNumber = 0;
        while (await input.ReadLineAsync() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            string? model = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException("the line is not a JSON object");
                }

                model = Str(root, "model");
                var (usage, format, tier, reported, bodyModel) = raw ? ReadRaw(root) : (ReadNormalised(root), (string?)null, Str(root, "service_tier"), (decimal?)null, (string?)null);
                model ??= bodyModel;
                if (string.IsNullOrWhiteSpace(model))
                {
                    throw new FormatException("\"model\" is missing");
                }

                var time = ReadTime(root) ?? now;
                ModelPrice? price = null;
                CostBreakdown cost = default;
                if (context.Catalog.TryGetPrice(model, out var found))
                {
                    price = found;
                    cost = CostCalculator.CalculateAt(usage, price, tier, time);
                }
                else if (reported is null)
                {
                    throw new UnknownModelException(model, UnknownMessage(context.Catalog, model));
                }

                var lineTotal = reported ?? cost.Total;
                total += lineTotal;
                priced++;
                var m = model;
                if (json)
                {
                    await context.Stdout.WriteLineAsync(CliApp.Json(w => WriteCost(w, m, format, price, cost, usage, reported)));
                }
                else
                {
                    var via = price is null ? "the provider's reported cost" : price.ModelId + (cost.ServiceTier is { } t ? $" ({t})" : string.Empty);
                    await context.Stdout.WriteLineAsync(FormattableString.Invariant($"{lineNumber}: {m} → {via}: ${CliApp.Money(lineTotal)}"));
                }
            }
            catch (Exception ex) when (ex is JsonException or FormatException or UnknownModelException or CliUsageException or InvalidOperationException)
            {
                failed++;
                var message = CliApp.OneLine(ex.Message);
                var m = model;
                if (json)
                {
                    await context.Stdout.WriteLineAsync(CliApp.Json(w =>
                    {
                        if (m is null)
                        {
                            w.WriteNull("model");
                        }
                        else
                        {
                            w.WriteString("model", m);
                        }

                        w.WriteNumber("line", lineNumber);
                        w.WriteString("error", message);
                    }));
                }
                else
                {
                    await context.Stdout.WriteLineAsync($"{lineNumber}: {m ?? "(no model)"}: error: {message}");
                }
            }
        }

        var summary = FormattableString.Invariant($"{priced} priced, {failed} not priced, total ${CliApp.Money(total)}");
        await (json ? context.Stderr : context.Stdout).WriteLineAsync(summary);
        return failed > 0 ? 1 : 0;
    }

    private static (TokenUsage Usage, string? Format, string? Tier, decimal? Reported, string? BodyModel) ReadRaw(JsonElement root)
    {
        var formatName = Str(root, "format");
        if (!ProviderUsageParser.TryParseFormat(formatName, out var format))
        {
            throw new FormatException($"unknown \"format\" '{formatName}'; use openai-chat, openai-responses, anthropic, gemini, mistral, deepseek, openrouter, bedrock, ollama or auto");
        }

        // {"usage": {...}} as the API returned it; a whole response body (or stream events) under "response"/"events" also works.
        ProviderUsage parsed;
        if (root.TryGetProperty("events", out var events) && events.ValueKind == JsonValueKind.Array)
        {
            parsed = ProviderUsageParser.ParseStream(events.EnumerateArray(), format);
        }
        else if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            parsed = ProviderUsageParser.Parse(usage, format);
        }
        else if (root.TryGetProperty("response", out var body) && body.ValueKind == JsonValueKind.Object)
        {
            parsed = ProviderUsageParser.Parse(body, format);
        }
        else
        {
            throw new FormatException("\"usage\" is missing: give the usage object as the API returned it");
        }

        return (parsed.Usage, (formatName ?? "auto").ToLowerInvariant(), Str(root, "service_tier") ?? parsed.ServiceTier, parsed.ReportedCost, parsed.ModelId);
    }

    private static TokenUsage ReadNormalised(JsonElement root)
    {
        var u = root.TryGetProperty("usage", out var nested) && nested.ValueKind == JsonValueKind.Object ? nested : root;
        var input = Count(u, "input_tokens") ?? Count(u, "prompt_tokens") ?? throw new FormatException("\"input_tokens\" (or \"prompt_tokens\") is missing");
        var output = Count(u, "output_tokens") ?? Count(u, "completion_tokens") ?? throw new FormatException("\"output_tokens\" (or \"completion_tokens\") is missing");
        var cached = Count(u, "cached_input_tokens") ?? Count(u, "cached_tokens") ?? 0;
        var write = Count(u, "cache_write_tokens") ?? 0;
        var write1h = Count(u, "cache_write_1h_tokens") ?? 0;
        var reasoning = Count(u, "reasoning_tokens") ?? 0;
        if (cached + write > input)
        {
            throw new FormatException("cached input plus cache write exceed input tokens; input counts every prompt token, including cache reads and writes");
        }

        if (reasoning > output)
        {
            throw new FormatException("reasoning tokens exceed output tokens; output counts every generated token, including reasoning");
        }

        return new TokenUsage(input - cached - write, cached, write, output - reasoning, reasoning)
        {
            CacheWrite1hTokens = Math.Min(write1h, write),
            WebSearchCalls = Count(u, "web_searches") ?? 0,
        };
    }

    private static ModelPrice Resolve(PriceCatalog catalog, string model) =>
        catalog.TryGetPrice(model, out var price) ? price : throw new UnknownModelException(model, UnknownMessage(catalog, model));

    private static string UnknownMessage(PriceCatalog catalog, string model)
    {
        var nearest = catalog.SuggestModelIds(model, 3);
        var hint = nearest.Count > 0 ? $"; nearest known: {string.Join(", ", nearest)}" : string.Empty;
        return $"no price for model '{model}'{hint}; load a price file with --catalog F (LiteLLM, genai-prices or `tokengov prices import` JSON)";
    }

    private static IEnumerable<(string Name, decimal Value)> Components(CostBreakdown c) =>
    [
        ("input", c.Input), ("cached_input", c.CachedInput), ("cache_write", c.CacheWrite), ("cache_write_1h", c.CacheWrite1h),
        ("input_audio", c.InputAudio), ("input_image", c.InputImage), ("output", c.Output), ("reasoning", c.Reasoning),
        ("output_audio", c.OutputAudio), ("output_image", c.OutputImage), ("web_search", c.WebSearch), ("requests", c.Requests),
    ];

    private static void WriteCost(Utf8JsonWriter w, string model, string? format, ModelPrice? price, CostBreakdown cost, TokenUsage usage, decimal? reported)
    {
        w.WriteString("model", model);
        if (price is null)
        {
            w.WriteNull("priced_model");
        }
        else
        {
            w.WriteString("priced_model", price.ModelId);
            w.WriteString("provider", price.Provider);
        }

        if (format is not null)
        {
            w.WriteString("format", format);
        }

        w.WriteNumber("total", CliApp.Normalize(reported ?? cost.Total));
        foreach (var (name, value) in Components(cost))
        {
            w.WriteNumber(name, CliApp.Normalize(value));
        }

        if (cost.ServiceTier is { } tier)
        {
            w.WriteString("service_tier", tier);
        }

        if (cost.LongContextThresholdTokens is { } threshold)
        {
            w.WriteNumber("long_context_above", threshold);
        }

        if (reported is { } r)
        {
            // The provider's own figure is what it charged; the catalog's price is kept beside it for comparison.
            w.WriteNumber("reported_cost", CliApp.Normalize(r));
            if (price is not null)
            {
                w.WriteNumber("catalog_total", CliApp.Normalize(cost.Total));
            }
        }

        w.WriteStartObject("tokens");
        w.WriteNumber("input", usage.UncachedInputTokens);
        w.WriteNumber("cached_input", usage.CachedInputTokens);
        w.WriteNumber("cache_write", usage.CacheWriteTokens);
        w.WriteNumber("cache_write_1h", usage.CacheWrite1hTokens);
        w.WriteNumber("output", usage.OutputTokens);
        w.WriteNumber("reasoning", usage.ReasoningTokens);
        if (usage.WebSearchCalls > 0)
        {
            w.WriteNumber("web_searches", usage.WebSearchCalls);
        }

        w.WriteEndObject();
    }

    private static DateTimeOffset? ReadTime(JsonElement root)
    {
        foreach (var name in (ReadOnlySpan<string>)["timestamp", "time", "created", "created_at"])
        {
            if (!root.TryGetProperty(name, out var v))
            {
                continue;
            }

            if (v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out var seconds))
            {
                return seconds > 100_000_000_000 ? DateTimeOffset.FromUnixTimeMilliseconds(seconds) : DateTimeOffset.FromUnixTimeSeconds(seconds);
            }

            if (v.ValueKind == JsonValueKind.String)
            {
                return ParseTime(v.GetString()!) ?? throw new FormatException($"\"{name}\" must be an ISO 8601 time or Unix seconds, not '{v.GetString()}'");
            }
        }

        return null;
    }

    private static DateTimeOffset? ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static long? Count(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var p) || p.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out var v) && v >= 0
            ? v
            : throw new FormatException($"\"{name}\" must be a non-negative whole number");
    }
}
