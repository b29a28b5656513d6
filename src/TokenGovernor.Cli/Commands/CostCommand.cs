using System.Text.Json;
using Microsoft.Extensions.AI;
using Spectre.Console;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov cost</c>: the cost of one usage, or of a file of usages, with its breakdown.</summary>
internal sealed class CostCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "cost";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov cost --model M --input N --output N [--cached-input N] [--cache-write N] [--reasoning N] [--json]
          tokengov cost --usages F.jsonl
              One JSON line per usage line {"model","input_tokens","output_tokens","cached_input_tokens"?,
              "cache_write_tokens"?,"reasoning_tokens"?}; input counts every prompt token, output includes reasoning.
        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var stdout = context.Stdout;
        var catalog = context.Catalog;
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
            await stdout.WriteLineAsync(CliApp.Json(w => WriteCost(w, model, price, cost)));
            return 0;
        }

        var table = new Table().AddColumn("component").AddColumn(new TableColumn("USD").RightAligned());
        table.Title = new TableTitle($"{Markup.Escape(model)} → priced as {Markup.Escape(price.ModelId)}");
        table.AddRow("input", CliApp.Money(cost.Input));
        table.AddRow("cached input", CliApp.Money(cost.CachedInput));
        table.AddRow("cache write", CliApp.Money(cost.CacheWrite));
        table.AddRow("output", CliApp.Money(cost.Output));
        table.AddRow("reasoning", CliApp.Money(cost.Reasoning));
        table.AddRow("[bold]total[/]", $"[bold]{CliApp.Money(cost.Total)}[/]");
        CliApp.Render(stdout, table);
        return 0;
    }

    private static async Task<int> CostBatchAsync(string path, PriceCatalog catalog, TextWriter stdout)
    {
        await foreach (var (lineNumber, line) in CliApp.ReadLinesAsync(path))
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
                await stdout.WriteLineAsync(CliApp.Json(w => WriteCost(w, model, price, cost)));
            }
            catch (Exception ex) when (ex is JsonException or FormatException or UnknownModelException or CliUsageException)
            {
                var message = CliApp.OneLine(ex.Message);
                await stdout.WriteLineAsync(CliApp.Json(w =>
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
        w.WriteNumber("input", CliApp.Normalize(cost.Input));
        w.WriteNumber("cached_input", CliApp.Normalize(cost.CachedInput));
        w.WriteNumber("cache_write", CliApp.Normalize(cost.CacheWrite));
        w.WriteNumber("output", CliApp.Normalize(cost.Output));
        w.WriteNumber("reasoning", CliApp.Normalize(cost.Reasoning));
        w.WriteNumber("total", CliApp.Normalize(cost.Total));
    }
}
