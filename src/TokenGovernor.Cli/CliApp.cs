using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;
using Spectre.Console;

namespace TokenGovernor.Cli;

/// <summary>The <c>tokengov</c> commands. A thin shell over the library: every figure comes from it.</summary>
internal static class CliApp
{
    private const string Help = """
        tokengov — token counts and costs from the TokenGovernor library

          tokengov count --model M [--file F] [--chat] [--json]
              Tokens of the text in F (or stdin). --chat reads {"messages":[{"role","content","name"?}],"tools":[...]}
              and counts the prompt as the provider bills it.
          tokengov cost --model M --input N --output N [--cached-input N] [--cache-write N] [--reasoning N] [--json]
          tokengov cost --usages F.jsonl
              One JSON line per usage line {"model","input_tokens","output_tokens","cached_input_tokens"?,
              "cache_write_tokens"?,"reasoning_tokens"?}; input counts every prompt token, output includes reasoning.
          tokengov models [--json]
              The price catalog (USD per million tokens).
          tokengov calibrate --pairs F.jsonl [--embedder hashing|minilm] [--target-precision 0.95] [--json]
              Precision, recall and F1 of the semantic cache's decision (similarity, then the guard) at thresholds 0.50-0.99
              on pairs {"a","b","label"} (1 = same meaning) or {"a","b","score"} (STS 0-5: >= 4 same, <= 3 different, the
              middle dropped), the lowest threshold reaching the target, and default_threshold: what UseSemanticCache uses
              with that embedder. --embedder minilm (default: all-MiniLM-L6-v2, local) or hashing.

          tokengov classify --prompts F.jsonl [--json]
              The tier default routing would pick for each line {"prompt": "..."} or {"messages": [...]}: one JSON line
              {"tier","score","signals"} each, then the traffic mix per tier.

          tokengov replay --log F.jsonl --config governor.json [--json]
              Runs recorded traffic (one call per line: time, scope, model, messages or inputTokens, usage; see
              UseTrafficRecording) through the configuration's budgets, caches and routing against a provider that returns
              the recorded usage, and reports spend, savings, degradations and refusals beside the recording.
              governor.json: {"TokenGovernor": {"Budgets": {"Policies": [...]}, "Pipeline": {"ResponseCache": true, ...}}}

          tokengov forecast --history F.csv [--months 3,6,12] [--scenarios name=low-high,...] [--json]
              Daily spend per feature (CSV: date,feature,spend[,outcomes]) → run-rate and the spend of the next months under
              growth scenarios (default conservative=1.3, expected=1.8-2.2, aggressive=2.5-3: spend multiplies by that much
              over 12 months), and cost per outcome where outcomes were recorded.

          --catalog F   load a LiteLLM-schema price file over the built-in catalog (any command)
        Exit codes: 0 success (a --usages line that cannot be priced gets an "error" field), 2 bad arguments or unreadable input.
        """;

    private static readonly HashSet<string> s_flags = new(StringComparer.Ordinal) { "json", "chat", "help" };

    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            await stdout.WriteLineAsync(Help);
            return args.Length == 0 ? 2 : 0;
        }

        try
        {
            var cli = CliArguments.Parse(args, s_flags);
            var catalog = LoadCatalog(cli.String("catalog"));
            return cli.Command switch
            {
                "count" => await CountAsync(cli, catalog, stdin, stdout),
                "cost" => await CostAsync(cli, catalog, stdout),
                "models" => Models(cli, catalog, stdout),
                "calibrate" => await CalibrateCommand.RunAsync(cli, stdout),
                "classify" => await ClassifyAsync(cli, stdout),
                "replay" => await ReplayCommand.RunAsync(cli, stdout),
                "forecast" => await ForecastCommand.RunAsync(cli, stdout),
                _ => throw new CliUsageException($"unknown command '{cli.Command}'; use one of: count, cost, models, calibrate, classify, replay, forecast"),
            };
        }
        catch (CliUsageException ex)
        {
            await stderr.WriteLineAsync($"tokengov: {ex.Message}");
            return 2;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or JsonException or UnknownModelException or InvalidOperationException)
        {
            await stderr.WriteLineAsync($"tokengov: {OneLine(ex.Message)}");
            return 2;
        }
    }

    private static PriceCatalog LoadCatalog(string? path)
    {
        if (path is null)
        {
            return PriceCatalog.BuiltIn;
        }

        RequireFile(path, "--catalog");

        return PriceCatalog.BuiltIn.ToBuilder().AddLiteLlmFile(path).Build();
    }

    private static async Task<int> CountAsync(CliArguments cli, PriceCatalog catalog, TextReader stdin, TextWriter stdout)
    {
        var model = cli.String("model") ?? throw new CliUsageException("count needs --model");
        var file = cli.String("file");
        var chat = cli.Flag("chat");
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();
        _ = catalog;

        var text = file is null ? await stdin.ReadToEndAsync() : await ReadFileAsync(file);
        var estimator = TiktokenTokenEstimator.Default;
        var info = estimator.GetTokenizerInfo(model);
        int tokens;
        if (chat)
        {
            var (messages, options) = ChatRequestJson.Parse(text);
            tokens = estimator.CountPromptTokens(messages, options, model);
        }
        else
        {
            tokens = estimator.CountTokens(text, model);
        }

        if (json)
        {
            await stdout.WriteLineAsync(Json(w =>
            {
                w.WriteString("model", model);
                w.WriteString("encoding", info.Encoding);
                w.WriteNumber("tokens", tokens);
                if (!info.IsExact)
                {
                    w.WriteNumber("expected_relative_error", info.ExpectedRelativeError);
                }
            }));
        }
        else
        {
            var exactness = info.IsExact ? "exact" : FormattableString.Invariant($"estimate, expected error ±{info.ExpectedRelativeError:P0}");
            await stdout.WriteLineAsync(FormattableString.Invariant($"{tokens} tokens ({model}, {info.Encoding}, {exactness})"));
        }

        return 0;
    }

    private static async Task<int> CostAsync(CliArguments cli, PriceCatalog catalog, TextWriter stdout)
    {
        var usagesPath = cli.String("usages");
        if (usagesPath is not null)
        {
            cli.Flag("json");
            cli.ThrowIfUnknownOptions();
            return await CostBatchAsync(usagesPath, catalog, stdout);
        }

        var model = cli.String("model") ?? throw new CliUsageException("cost needs --model (or --usages F.jsonl)");
        var input = cli.Tokens("input") ?? throw new CliUsageException("cost needs --input N");
        var output = cli.Tokens("output") ?? throw new CliUsageException("cost needs --output N");
        var usage = new UsageDetails
        {
            InputTokenCount = input,
            OutputTokenCount = output,
            CachedInputTokenCount = cli.Tokens("cached-input"),
            ReasoningTokenCount = cli.Tokens("reasoning"),
        };
        if (cli.Tokens("cache-write") is { } write)
        {
            usage.AdditionalCounts = new() { [UsageConvention.CacheWriteCountKeys[0]] = write };
        }

        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();
        ValidateSubsets(usage);

        var price = catalog.GetPrice(model);
        var cost = CostCalculator.Calculate(usage, price);
        if (json)
        {
            await stdout.WriteLineAsync(Json(w => WriteCost(w, model, price, cost)));
            return 0;
        }

        var table = new Table().AddColumn("component").AddColumn(new TableColumn("USD").RightAligned());
        table.Title = new TableTitle($"{Markup.Escape(model)} → priced as {Markup.Escape(price.ModelId)}");
        table.AddRow("input", Money(cost.Input));
        table.AddRow("cached input", Money(cost.CachedInput));
        table.AddRow("cache write", Money(cost.CacheWrite));
        table.AddRow("output", Money(cost.Output));
        table.AddRow("reasoning", Money(cost.Reasoning));
        table.AddRow("[bold]total[/]", $"[bold]{Money(cost.Total)}[/]");
        Render(stdout, table);
        return 0;
    }

    private static async Task<int> CostBatchAsync(string path, PriceCatalog catalog, TextWriter stdout)
    {
        await foreach (var (lineNumber, line) in ReadLinesAsync(path))
        {
            string? model = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    throw new FormatException("the line is not a JSON object");
                }

                model = root.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                if (string.IsNullOrWhiteSpace(model))
                {
                    throw new FormatException("\"model\" is missing");
                }

                var usage = new UsageDetails
                {
                    InputTokenCount = ReadCount(root, "input_tokens", required: true),
                    OutputTokenCount = ReadCount(root, "output_tokens", required: true),
                    CachedInputTokenCount = ReadCount(root, "cached_input_tokens", required: false),
                    ReasoningTokenCount = ReadCount(root, "reasoning_tokens", required: false),
                };
                if (ReadCount(root, "cache_write_tokens", required: false) is { } write)
                {
                    usage.AdditionalCounts = new() { [UsageConvention.CacheWriteCountKeys[0]] = write };
                }

                ValidateSubsets(usage);
                var price = catalog.GetPrice(model);
                var cost = CostCalculator.Calculate(usage, price);
                await stdout.WriteLineAsync(Json(w => WriteCost(w, model, price, cost)));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or UnknownModelException or CliUsageException)
            {
                var message = OneLine(ex.Message);
                await stdout.WriteLineAsync(Json(w =>
                {
                    if (model is null)
                    {
                        w.WriteNull("model");
                    }
                    else
                    {
                        w.WriteString("model", model);
                    }

                    w.WriteNumber("line", lineNumber);
                    w.WriteString("error", message);
                }));
            }
        }

        // Per-line errors are reported in the output; the run itself succeeded.
        return 0;
    }

    private static int Models(CliArguments cli, PriceCatalog catalog, TextWriter stdout)
    {
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();
        var models = catalog.Models.OrderBy(m => m.Provider, StringComparer.Ordinal).ThenBy(m => m.ModelId, StringComparer.Ordinal).ToList();
        if (json)
        {
            foreach (var m in models)
            {
                stdout.WriteLine(Json(w =>
                {
                    w.WriteString("model", m.ModelId);
                    w.WriteString("provider", m.Provider);
                    w.WriteNumber("input", Normalize(m.InputPerMillion));
                    WriteOptional(w, "cached_input", m.CachedInputPerMillion);
                    WriteOptional(w, "cache_write", m.CacheWritePerMillion);
                    w.WriteNumber("output", Normalize(m.OutputPerMillion));
                    WriteOptional(w, "reasoning", m.ReasoningPerMillion);
                    if (m.ContextWindow is { } ctx)
                    {
                        w.WriteNumber("context_window", ctx);
                    }

                    if (m.MaxOutputTokens is { } max)
                    {
                        w.WriteNumber("max_output_tokens", max);
                    }

                    if (m.LongContext is { } lc)
                    {
                        w.WriteNumber("long_context_threshold", lc.ThresholdTokens);
                        w.WriteNumber("long_context_input", Normalize(lc.InputPerMillion));
                        w.WriteNumber("long_context_output", Normalize(lc.OutputPerMillion));
                    }

                    w.WriteString("source", m.Source);
                    w.WriteString("as_of", m.AsOf?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                }));
            }

            return 0;
        }

        var table = new Table()
            .AddColumn("model").AddColumn("provider")
            .AddColumn(new TableColumn("input").RightAligned()).AddColumn(new TableColumn("cached").RightAligned())
            .AddColumn(new TableColumn("output").RightAligned()).AddColumn(new TableColumn("context").RightAligned())
            .AddColumn("as of");
        table.Title = new TableTitle($"{models.Count} models, USD per million tokens");
        foreach (var m in models)
        {
            table.AddRow(
                Markup.Escape(m.ModelId), Markup.Escape(m.Provider ?? "-"), Money(m.InputPerMillion),
                m.CachedInputPerMillion is { } c ? Money(c) : "-", Money(m.OutputPerMillion),
                m.ContextWindow?.ToString("N0", CultureInfo.InvariantCulture) ?? "-",
                m.AsOf?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-");
        }

        Render(stdout, table);
        return 0;
    }

    private static async Task<int> ClassifyAsync(CliArguments cli, TextWriter stdout)
    {
        var path = cli.String("prompts") ?? throw new CliUsageException("classify needs --prompts F.jsonl");
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();

        var options = new RoutingOptions();
        var router = new ModelRoutingChatClient(new NoProviderChatClient(), options);
        var mix = options.Tiers.ToDictionary(t => t.Name, _ => 0, StringComparer.Ordinal);
        await foreach (var (lineNumber, line) in ReadLinesAsync(path))
        {
            List<ChatMessage> messages;
            ChatOptions? chatOptions = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String)
                {
                    messages = [new ChatMessage(ChatRole.User, prompt.GetString())];
                }
                else
                {
                    (messages, chatOptions) = ChatRequestJson.Parse(line);
                }
            }
            catch (Exception ex) when (ex is JsonException or FormatException)
            {
                throw new CliUsageException($"{path} line {lineNumber}: expected {{\"prompt\": \"...\"}} or {{\"messages\": [...]}}: {OneLine(ex.Message)}");
            }

            var (tier, assessment, reasons) = router.Decide(messages, chatOptions);
            var name = options.Tiers[tier].Name;
            mix[name]++;
            await stdout.WriteLineAsync(Json(w =>
            {
                w.WriteString("tier", name);
                w.WriteNumber("score", assessment.Score);
                w.WriteStartArray("signals");
                foreach (var reason in reasons)
                {
                    w.WriteStringValue(reason);
                }

                w.WriteEndArray();
            }));
        }

        var total = Math.Max(1, mix.Values.Sum());
        if (json)
        {
            await stdout.WriteLineAsync(Json(w =>
            {
                w.WriteStartObject("mix");
                foreach (var (tier, count) in mix)
                {
                    w.WriteNumber(tier, count);
                }

                w.WriteEndObject();
            }));
        }
        else
        {
            foreach (var (tier, count) in mix)
            {
                await stdout.WriteLineAsync(FormattableString.Invariant($"{tier,-10} {count,6} {(double)count / total,7:P1}"));
            }
        }

        return 0;
    }

    private static void ValidateSubsets(UsageDetails usage)
    {
        if (usage.InputTokenCount < 0 || usage.OutputTokenCount < 0)
        {
            throw new CliUsageException("token counts must not be negative");
        }

        var write = usage.AdditionalCounts?.GetValueOrDefault(UsageConvention.CacheWriteCountKeys[0]) ?? 0;
        if ((usage.CachedInputTokenCount ?? 0) + write > usage.InputTokenCount)
        {
            throw new CliUsageException("cached input plus cache write exceed input tokens; input counts every prompt token, including cache reads and writes");
        }

        if ((usage.ReasoningTokenCount ?? 0) > usage.OutputTokenCount)
        {
            throw new CliUsageException("reasoning tokens exceed output tokens; output counts every generated token, including reasoning");
        }
    }

    private static long? ReadCount(JsonElement root, string name, bool required)
    {
        if (!root.TryGetProperty(name, out var p) || p.ValueKind == JsonValueKind.Null)
        {
            return required ? throw new FormatException($"\"{name}\" is missing") : null;
        }

        return p.ValueKind == JsonValueKind.Number && p.TryGetInt64(out var v) && v >= 0
            ? v
            : throw new FormatException($"\"{name}\" must be a non-negative whole number");
    }

    private static void WriteCost(Utf8JsonWriter w, string model, ModelPrice price, CostBreakdown cost)
    {
        w.WriteString("model", model);
        w.WriteString("priced_model", price.ModelId);
        w.WriteNumber("input", Normalize(cost.Input));
        w.WriteNumber("cached_input", Normalize(cost.CachedInput));
        w.WriteNumber("cache_write", Normalize(cost.CacheWrite));
        w.WriteNumber("output", Normalize(cost.Output));
        w.WriteNumber("reasoning", Normalize(cost.Reasoning));
        w.WriteNumber("total", Normalize(cost.Total));
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, decimal? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, Normalize(v));
        }
    }

    /// <summary>Fails with exit code 2 and a message naming the option when its file does not exist.</summary>
    internal static void RequireFile(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"{option} file '{path}' does not exist");
        }
    }

    internal static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    // Strips trailing zeros (2.5000000 → 2.5) so JSON output is stable.
    internal static decimal Normalize(decimal value) => value / 1.0000000000000000000000000000m;

    internal static string Money(decimal value) => Normalize(value).ToString("0.##########", CultureInfo.InvariantCulture);

    private static string OneLine(string text) => text.ReplaceLineEndings(" ");

    private static async Task<string> ReadFileAsync(string path)
    {
        using var reader = OpenText(path);
        return await reader.ReadToEndAsync();
    }

    /// <summary>The non-blank lines of a file with their 1-based line numbers.</summary>
    private static async IAsyncEnumerable<(int Number, string Text)> ReadLinesAsync(string path)
    {
        using var reader = OpenText(path);
        var number = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return (number, line);
            }
        }
    }

    private static StreamReader OpenText(string path)
    {
        try
        {
            return new StreamReader(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CliUsageException($"cannot read '{path}': {OneLine(ex.Message)}");
        }
    }

    private static void Render(TextWriter stdout, Table table)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = ReferenceEquals(stdout, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ReferenceEquals(stdout, Console.Out) ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        console.Profile.Width = 160;
        console.Write(table);
    }
}
