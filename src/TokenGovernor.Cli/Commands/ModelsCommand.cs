using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov models</c>: the price catalog.</summary>
internal sealed class ModelsCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "models";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov models [--provider P] [--json]
              The price catalog (USD per million tokens): every model with its source, origin table and date, the
              catalog's date and whether it is stale.
        """;

    /// <inheritdoc />
    public Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var stdout = context.Stdout;
        var catalog = context.Catalog;
        var json = cli.Flag("json");
        var provider = cli.String("provider");
        cli.ThrowIfUnknownOptions();
        var models = catalog.Models
            .Where(m => provider is null || string.Equals(m.Provider, provider, StringComparison.OrdinalIgnoreCase))
            .OrderBy(m => m.Provider, StringComparer.Ordinal).ThenBy(m => m.ModelId, StringComparer.Ordinal).ToList();
        if (json)
        {
            foreach (var m in models)
            {
                stdout.WriteLine(CliApp.Json(w =>
                {
                    w.WriteString("model", m.ModelId);
                    w.WriteString("provider", m.Provider);
                    w.WriteNumber("input", CliApp.Normalize(m.InputPerMillion));
                    WriteOptional(w, "cached_input", m.CachedInputPerMillion);
                    WriteOptional(w, "cache_write", m.CacheWritePerMillion);
                    w.WriteNumber("output", CliApp.Normalize(m.OutputPerMillion));
                    WriteOptional(w, "reasoning", m.ReasoningPerMillion);
                    WriteOptional(w, "cache_write_1h", m.CacheWrite1hPerMillion);
                    WriteOptional(w, "input_audio", m.InputAudioPerMillion);
                    WriteOptional(w, "output_audio", m.OutputAudioPerMillion);
                    WriteOptional(w, "input_image", m.InputImagePerMillion);
                    WriteOptional(w, "output_image", m.OutputImagePerMillion);
                    WriteOptional(w, "web_search_per_thousand", m.WebSearchPerThousand);
                    WriteOptional(w, "requests_per_thousand", m.RequestsPerThousand);
                    if (m.ServiceTiers is { Count: > 0 } tiers)
                    {
                        w.WriteStartArray("service_tiers");
                        foreach (var t in tiers.Keys.Order(StringComparer.Ordinal))
                        {
                            w.WriteStringValue(t);
                        }

                        w.WriteEndArray();
                    }

                    if (m.EffectiveFrom is { } from)
                    {
                        w.WriteString("effective_from", from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                        w.WriteNumber("earlier_prices", m.EarlierPrices?.Count ?? 0);
                    }

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
                        w.WriteNumber("long_context_input", CliApp.Normalize(lc.InputPerMillion));
                        w.WriteNumber("long_context_output", CliApp.Normalize(lc.OutputPerMillion));
                    }

                    w.WriteString("source", m.Source);
                    w.WriteString("origin", m.Origin);
                    w.WriteString("as_of", m.AsOf?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                }));
            }

            return Task.FromResult(0);
        }

        var table = new Table()
            .AddColumn("model").AddColumn("provider")
            .AddColumn(new TableColumn("input").RightAligned()).AddColumn(new TableColumn("cached").RightAligned())
            .AddColumn(new TableColumn("output").RightAligned()).AddColumn(new TableColumn("context").RightAligned())
            .AddColumn("as of").AddColumn("origin").AddColumn("source");
        var asOf = catalog.AsOf?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "unknown";
        var stale = catalog.GetAge() is { } age && age.TotalDays > catalog.StaleAfterDays ? FormattableString.Invariant($", STALE: {(int)age.TotalDays} days old") : string.Empty;
        table.Title = new TableTitle($"{models.Count} models, USD per million tokens, catalog as of {asOf}{stale}");
        foreach (var m in models)
        {
            table.AddRow(
                Markup.Escape(m.ModelId), Markup.Escape(m.Provider ?? "-"), CliApp.Money(m.InputPerMillion),
                m.CachedInputPerMillion is { } c ? CliApp.Money(c) : "-", CliApp.Money(m.OutputPerMillion),
                m.ContextWindow?.ToString("N0", CultureInfo.InvariantCulture) ?? "-",
                m.AsOf?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "-",
                Markup.Escape(m.Origin ?? "-"), Markup.Escape(m.Source ?? "-"));
        }

        CliApp.Render(stdout, table);
        return Task.FromResult(0);
    }

    private static void WriteOptional(Utf8JsonWriter w, string name, decimal? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(name, CliApp.Normalize(v));
        }
    }

}
