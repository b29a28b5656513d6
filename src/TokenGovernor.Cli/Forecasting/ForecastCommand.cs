using System.Globalization;
using System.Text.Json;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov forecast (--history F.csv | --db F [--since 90d | --from D --to D]) [--months 3,6,12] [--scenarios name=low-high,...] [--json]</c>.</summary>
internal sealed class ForecastCommand : ICliCommand
{
    /// <summary>A projection may reach at most this many times past the history it is made from before a warning says so.</summary>
    internal const int MaxExtrapolation = 4;

    /// <summary>Fewer days than this cannot show a weekly cycle: always worth a warning.</summary>
    internal const int MinimumHistoryDays = 7;

    private const double DaysPerMonth = 365.25 / 12;

    /// <inheritdoc />
    public string Name => "forecast";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov forecast (--history F.csv | --db F [--since 90d | --from D --to D]) [--months 3,6,12] [--scenarios name=low-high,...] [--json]
              Daily spend per feature → run-rate and the spend of the next months under growth scenarios (default
              conservative=1.3, expected=1.8-2.2, aggressive=2.5-3: spend multiplies by that much over 12 months), and cost
              per outcome where outcomes were recorded. --history: CSV (RFC 4180; quoted fields may hold commas) with
              date,feature,spend[,outcomes[,outcome_kind]], or a header row naming those columns in any order. --db: the
              spend store's daily spend per feature (a SQLite file or a PostgreSQL connection string). Outcomes of different
              kinds are never added up. Warns on stderr when the history is short for the horizon.

        """;

    /// <inheritdoc />
    public Task<int> RunAsync(CliArguments cli, CliContext context) => RunAsync(cli, context.Stdout, context.Stderr, TimeProvider.System);

    internal static async Task<int> RunAsync(CliArguments cli, TextWriter stdout, TextWriter stderr, TimeProvider time)
    {
        var path = cli.String("history");
        var db = cli.String("db");
        var since = cli.String("since");
        var from = cli.String("from");
        var to = cli.String("to");
        var months = cli.String("months");
        var scenarios = cli.String("scenarios");
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();
        if ((path is null) == (db is null))
        {
            throw new CliUsageException(path is null
                ? "forecast needs --history F.csv (rows: date,feature,spend[,outcomes[,outcome_kind]]) or --db F (a spend store)"
                : "give either --history or --db, not both");
        }

        if (path is not null && (since ?? from ?? to) is not null)
        {
            throw new CliUsageException("--since, --from and --to select days of a spend store: use them with --db, or cut the --history file");
        }

        var options = new SpendForecastOptions();
        if (months is not null)
        {
            options.Horizons.Clear();
            foreach (var m in months.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                options.Horizons.Add(int.TryParse(m, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v is >= 1 and <= 120
                    ? v
                    : throw new CliUsageException($"--months has '{m}'; give whole months from 1 to 120, such as 3,6,12"));
            }

            if (options.Horizons.Count == 0)
            {
                throw new CliUsageException("--months is empty; give whole months such as 3,6,12");
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

        List<DailySpend> history;
        string source;
        if (path is not null)
        {
            CliApp.RequireFile(path, "--history");
            using var reader = new StreamReader(path);
            history = ReadHistory(reader);
            source = "--history file";
        }
        else
        {
            var (start, end) = SpendCommand.ParseRange(since, from, to, time.GetUtcNow());
            history = await ReadStoreAsync(db!, start, end);
            source = "spend store";
        }

        if (history.Count == 0)
        {
            throw new CliUsageException($"the {source} has no daily spend{(path is null && (since ?? from ?? to) is not null ? " in that range" : string.Empty)}; a forecast needs at least one day");
        }

        IReadOnlyList<FeatureForecast> forecast;
        try
        {
            forecast = new SpendForecaster(options).Forecast(history);
        }
        catch (ArgumentException ex)
        {
            throw new CliUsageException(CliApp.WithoutParameterName(ex));
        }

        var warnings = Warnings(history, options);
        foreach (var warning in warnings)
        {
            await stderr.WriteLineAsync("tokengov: warning: " + warning);
        }

        if (json)
        {
            await stdout.WriteLineAsync(CliApp.Json(w => Write(w, forecast, warnings)));
            return 0;
        }

        foreach (var f in forecast)
        {
            var kind = f.OutcomeKind is { } k ? " (" + k + ")" : string.Empty;
            var perOutcome = f.CostPerOutcome is { } c ? string.Create(CultureInfo.InvariantCulture, $", {CliApp.Money(c)} USD per outcome{kind}") : string.Empty;
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{f.Feature}: run-rate {CliApp.Money(decimal.Round(f.DailyRunRate, 4))} USD/day, {CliApp.Money(decimal.Round(f.MonthlyRunRate, 2))} USD/month{perOutcome}"));
            if (f.OutcomeKindsDiffer)
            {
                await stdout.WriteLineAsync("  no cost per outcome: the outcomes recorded are of different kinds and are not added up");
            }

            foreach (var p in f.Projections)
            {
                var range = p.Low == p.High ? CliApp.Money(p.Low) : $"{CliApp.Money(p.Low)}-{CliApp.Money(p.High)}";
                await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {p.Scenario,-13} next {p.Months,2} months: {range} USD"));
            }
        }

        return 0;
    }

    /// <summary>What the history cannot support: a projection that reaches far past the days it was made from.</summary>
    internal static List<string> Warnings(IReadOnlyList<DailySpend> history, SpendForecastOptions options)
    {
        var warnings = new List<string>();
        var first = history.Min(r => r.Date);
        var last = history.Max(r => r.Date);
        var days = last.DayNumber - first.DayNumber + 1;
        var horizon = options.Horizons.Max();
        var needed = Math.Max(MinimumHistoryDays, (int)Math.Ceiling(horizon * DaysPerMonth / MaxExtrapolation));
        if (days < needed)
        {
            var span = days == 1
                ? string.Create(CultureInfo.InvariantCulture, $"1 day ({first:yyyy-MM-dd})")
                : string.Create(CultureInfo.InvariantCulture, $"{days} days ({first:yyyy-MM-dd} to {last:yyyy-MM-dd})");
            warnings.Add(string.Create(CultureInfo.InvariantCulture,
                $"the history covers {span}, too short to project {horizon} months ({Math.Round(horizon * DaysPerMonth / days, 1)}x the history): treat the projections as rough, or give at least {needed} days of history or a shorter --months"));
        }

        return warnings;
    }

    /// <summary>Reads <c>date,feature,spend[,outcomes[,outcome_kind]]</c> records, or columns named by a header row.</summary>
    internal static List<DailySpend> ReadHistory(TextReader reader)
    {
        var rows = new List<DailySpend>();
        int[] columns = [0, 1, 2, 3, 4]; // date, feature, spend, outcomes, outcome_kind
        var width = -1;
        var first = true;
        foreach (var record in CsvReader.Read(reader, "history"))
        {
            var cells = record.Fields;
            if (first)
            {
                first = false;
                if (cells.Any(c => c.Trim().Equals("date", StringComparison.OrdinalIgnoreCase)))
                {
                    (columns, width) = Header(cells, record.Line);
                    continue;
                }
            }

            if (cells.Count == 1 && cells[0].Trim().Length == 0)
            {
                continue;
            }

            if (width >= 0 ? cells.Count != width : cells.Count is < 3 or > 5)
            {
                throw new FormatException(width >= 0
                    ? $"history line {record.Line}: the header names {width} columns, this row has {cells.Count}; quote a field that holds a comma"
                    : $"history line {record.Line}: expected date,feature,spend[,outcomes[,outcome_kind]], got {cells.Count} fields; quote a field that holds a comma");
            }

            string? Cell(int column) => columns[column] is var i && i >= 0 && i < cells.Count ? cells[i].Trim() : null;

            var dateText = Cell(0)!;
            if (!DateOnly.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                throw new FormatException($"history line {record.Line}: date '{dateText}' is not yyyy-MM-dd");
            }

            var spendText = Cell(2)!;
            if (!decimal.TryParse(spendText, NumberStyles.Number, CultureInfo.InvariantCulture, out var spend))
            {
                throw new FormatException($"history line {record.Line}: spend '{spendText}' is not a number (use a point for decimals, no currency sign)");
            }

            long? outcomes = null;
            if (Cell(3) is { Length: > 0 } outcomeText)
            {
                outcomes = long.TryParse(outcomeText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var o) && o >= 0
                    ? o
                    : throw new FormatException($"history line {record.Line}: outcomes '{outcomeText}' is not a non-negative whole number");
            }

            var kind = Cell(4) is { Length: > 0 } k ? k : null;
            if (kind is not null && outcomes is null)
            {
                throw new FormatException($"history line {record.Line}: outcome_kind '{kind}' is given without outcomes; give the count or leave the kind empty");
            }

            rows.Add(new DailySpend(date, Cell(1) ?? string.Empty, spend, outcomes) { OutcomeKind = kind });
        }

        return rows;
    }

    private static (int[] Columns, int Width) Header(IReadOnlyList<string> cells, int line)
    {
        string[] names = ["date", "feature", "spend", "outcomes", "outcome_kind"];
        int[] columns = [-1, -1, -1, -1, -1];
        for (var i = 0; i < cells.Count; i++)
        {
            var name = cells[i].Trim();
            var at = Array.FindIndex(names, n => n.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (at < 0)
            {
                throw new FormatException($"history line {line}: unknown column '{name}'; the columns are {string.Join(", ", names)} (date, feature and spend are required)");
            }

            if (columns[at] >= 0)
            {
                throw new FormatException($"history line {line}: column '{name}' appears twice");
            }

            columns[at] = i;
        }

        for (var i = 0; i < 3; i++)
        {
            if (columns[i] < 0)
            {
                throw new FormatException($"history line {line}: the header has no '{names[i]}' column; date, feature and spend are required");
            }
        }

        return (columns, cells.Count);
    }

    private static async Task<List<DailySpend>> ReadStoreAsync(string db, DateTimeOffset? from, DateTimeOffset? to)
    {
        var store = SpendStores.Open(db, "forecast");
        try
        {
            var totals = await SpendStores.RunAsync(db, () => store.QueryAsync(new SpendQuery { GroupBy = SpendGrouping.Feature | SpendGrouping.Day, From = from, To = to }));
            return [.. totals.Where(t => t.Day is not null).Select(t => new DailySpend(t.Day!.Value, t.Feature ?? string.Empty, t.Cost))];
        }
        finally
        {
            await SpendStores.DisposeAsync(store);
        }
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

    private static void Write(Utf8JsonWriter w, IReadOnlyList<FeatureForecast> forecast, List<string> warnings)
    {
        w.WriteStartArray("warnings");
        foreach (var warning in warnings)
        {
            w.WriteStringValue(warning);
        }

        w.WriteEndArray();
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

            if (f.OutcomeKind is { } kind)
            {
                w.WriteString("outcome_kind", kind);
            }

            if (f.OutcomeKindsDiffer)
            {
                w.WriteBoolean("outcome_kinds_differ", true);
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
