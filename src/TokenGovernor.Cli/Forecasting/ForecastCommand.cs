using System.Globalization;
using System.Text.Json;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov forecast --history F.csv [--months 3,6,12] [--scenarios name=low-high,...] [--json]</c>.</summary>
internal sealed class ForecastCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "forecast";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov forecast --history F.csv [--months 3,6,12] [--scenarios name=low-high,...] [--json]
              Daily spend per feature (CSV: date,feature,spend[,outcomes]) → run-rate and the spend of the next months under
              growth scenarios (default conservative=1.3, expected=1.8-2.2, aggressive=2.5-3: spend multiplies by that much
              over 12 months), and cost per outcome where outcomes were recorded.

        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var stdout = context.Stdout;
        var path = cli.String("history") ?? throw new CliUsageException("forecast needs --history F.csv (rows: date,feature,spend[,outcomes])");
        var months = cli.String("months");
        var scenarios = cli.String("scenarios");
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();
        CliApp.RequireFile(path, "--history");

        var options = new SpendForecastOptions();
        if (months is not null)
        {
            options.Horizons.Clear();
            foreach (var m in months.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                options.Horizons.Add(int.TryParse(m, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new CliUsageException($"--months has '{m}'; give whole months such as 3,6,12"));
            }
        }

        if (scenarios is not null)
        {
            options.Scenarios.Clear();
            foreach (var s in scenarios.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                options.Scenarios.Add(ParseScenario(s));
            }
        }

        var history = ReadHistory(await File.ReadAllLinesAsync(path));
        IReadOnlyList<FeatureForecast> forecast;
        try
        {
            forecast = new SpendForecaster(options).Forecast(history);
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException(ex.Message);
        }

        if (json)
        {
            await stdout.WriteLineAsync(CliApp.Json(w => Write(w, forecast)));
            return 0;
        }

        foreach (var f in forecast)
        {
            var perOutcome = f.CostPerOutcome is { } c ? string.Create(CultureInfo.InvariantCulture, $", {CliApp.Money(c)} USD per outcome") : string.Empty;
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{f.Feature}: run-rate {CliApp.Money(decimal.Round(f.DailyRunRate, 4))} USD/day, {CliApp.Money(decimal.Round(f.MonthlyRunRate, 2))} USD/month{perOutcome}"));
            foreach (var p in f.Projections)
            {
                var range = p.Low == p.High ? CliApp.Money(p.Low) : $"{CliApp.Money(p.Low)}-{CliApp.Money(p.High)}";
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {p.Scenario,-13} next {p.Months,2} months: {range} USD"));
            }
        }

        return 0;
    }

    internal static List<DailySpend> ReadHistory(string[] lines)
    {
        var rows = new List<DailySpend>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || (i == 0 && line.StartsWith("date", StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            var cells = line.Split(',', StringSplitOptions.TrimEntries);
            if (cells.Length is < 3 or > 4)
            {
                throw new FormatException($"history line {i + 1}: expected date,feature,spend[,outcomes], got {cells.Length} cells");
            }

            if (!DateOnly.TryParseExact(cells[0], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                throw new FormatException($"history line {i + 1}: date '{cells[0]}' is not yyyy-MM-dd");
            }

            if (!decimal.TryParse(cells[2], NumberStyles.Number, CultureInfo.InvariantCulture, out var spend))
            {
                throw new FormatException($"history line {i + 1}: spend '{cells[2]}' is not a number");
            }

            long? outcomes = null;
            if (cells.Length == 4 && cells[3].Length > 0)
            {
                outcomes = long.TryParse(cells[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var o) && o >= 0
                    ? o
                    : throw new FormatException($"history line {i + 1}: outcomes '{cells[3]}' is not a non-negative whole number");
            }

            rows.Add(new DailySpend(date, cells[1], spend, outcomes));
        }

        return rows;
    }

    private static GrowthScenario ParseScenario(string text)
    {
        var eq = text.IndexOf('=', StringComparison.Ordinal);
        var range = eq > 0 ? text[(eq + 1)..].Split('-') : [];
        if (eq <= 0 || range.Length is < 1 or > 2 ||
            !double.TryParse(range[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var low) ||
            !double.TryParse(range[^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var high))
        {
            throw new CliUsageException($"--scenarios has '{text}'; use name=multiplier or name=low-high, such as expected=1.8-2.2");
        }

        return new GrowthScenario(text[..eq], low, high);
    }

    private static void Write(Utf8JsonWriter w, IReadOnlyList<FeatureForecast> forecast)
    {
        w.WriteStartArray("features");
        foreach (var f in forecast)
        {
            w.WriteStartObject();
            w.WriteString("feature", f.Feature);
            w.WriteNumber("history_spend", CliApp.Normalize(f.HistorySpend));
            w.WriteNumber("daily_run_rate", CliApp.Normalize(f.DailyRunRate));
            w.WriteNumber("monthly_run_rate", CliApp.Normalize(f.MonthlyRunRate));
            if (f.Outcomes is { } o)
            {
                w.WriteNumber("outcomes", o);
            }

            if (f.CostPerOutcome is { } c)
            {
                w.WriteNumber("cost_per_outcome", CliApp.Normalize(c));
            }

            w.WriteStartArray("projections");
            foreach (var p in f.Projections)
            {
                w.WriteStartObject();
                w.WriteString("scenario", p.Scenario);
                w.WriteNumber("months", p.Months);
                w.WriteNumber("low", CliApp.Normalize(p.Low));
                w.WriteNumber("high", CliApp.Normalize(p.High));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
