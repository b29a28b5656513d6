using System.Globalization;
using System.Text;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov spend --db F [--by tenant,feature,model,day] [--since 7d | --from D --to D] [--json]</c>.</summary>
internal sealed class SpendCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "spend";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov spend --db F [--by tenant,feature,model,day] [--since 7d | --from D --to D] [--json]
              Spend recorded in a spend store (F: a SQLite file such as governance.db, or a PostgreSQL connection string
              "Host=…;Database=…;Username=…"), summed per group. --since Nd|Nh|Nw counts back from now; --from/--to take
              dates (yyyy-MM-dd, UTC; --to's whole day is included) or ISO 8601 times. --json: one line per group
              {"tenant"?,"feature"?,"model"?,"day"?,"calls","cost","cost_avoided","input_tokens","output_tokens"}.

        """;

    /// <inheritdoc />
    public Task<int> RunAsync(CliArguments cli, CliContext context) => RunAsync(cli, context.Stdout, TimeProvider.System);

    internal static async Task<int> RunAsync(CliArguments cli, TextWriter stdout, TimeProvider time)
    {
        var db = cli.String("db");
        var by = ParseGrouping(cli.String("by"));
        var (from, to) = ParseRange(cli.String("since"), cli.String("from"), cli.String("to"), time.GetUtcNow());
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();

        var store = SpendStores.Open(db, "spend");
        try
        {
            var totals = await SpendStores.RunAsync(db!, () => store.QueryAsync(new SpendQuery { GroupBy = by, From = from, To = to }));
            if (json)
            {
                foreach (var t in totals)
                {
                    await stdout.WriteLineAsync(CliApp.Json(w =>
                    {
                        if (t.Tenant is not null)
                        {
                            w.WriteString("tenant", t.Tenant);
                        }

                        if (t.Feature is not null)
                        {
                            w.WriteString("feature", t.Feature);
                        }

                        if (t.Model is not null)
                        {
                            w.WriteString("model", t.Model);
                        }

                        if (t.Day is { } day)
                        {
                            w.WriteString("day", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                        }

                        w.WriteNumber("calls", t.Calls);
                        w.WriteNumber("cost", CliApp.Normalize(t.Cost));
                        w.WriteNumber("cost_avoided", CliApp.Normalize(t.CostAvoided));
                        w.WriteNumber("input_tokens", t.InputTokens);
                        w.WriteNumber("output_tokens", t.OutputTokens);
                    }));
                }

                return 0;
            }

            await WriteTableAsync(stdout, by, totals);
            return 0;
        }
        finally
        {
            await SpendStores.DisposeAsync(store);
        }
    }

    internal static SpendGrouping ParseGrouping(string? by)
    {
        var grouping = SpendGrouping.None;
        foreach (var part in (by ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            grouping |= part switch
            {
                "tenant" => SpendGrouping.Tenant,
                "feature" => SpendGrouping.Feature,
                "model" => SpendGrouping.Model,
                "day" => SpendGrouping.Day,
                _ => throw new CliUsageException($"--by has '{part}'; group by any of tenant,feature,model,day (comma-separated)"),
            };
        }

        return grouping;
    }

    internal static (DateTimeOffset? From, DateTimeOffset? To) ParseRange(string? since, string? from, string? to, DateTimeOffset now)
    {
        if (since is not null)
        {
            if (from is not null || to is not null)
            {
                throw new CliUsageException("give either --since or --from/--to, not both");
            }

            return (now - ParseSpan(since), null);
        }

        var start = from is null ? (DateTimeOffset?)null : ParseInstant(from, "--from", endOfDay: false);
        var end = to is null ? (DateTimeOffset?)null : ParseInstant(to, "--to", endOfDay: true);
        if (start is { } s && end is { } e && e <= s)
        {
            throw new CliUsageException($"--to ({to}) must be after --from ({from})");
        }

        return (start, end);
    }

    private static TimeSpan ParseSpan(string text)
    {
        if (text.Length >= 2 && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            switch (text[^1])
            {
                case 'h':
                    return TimeSpan.FromHours(n);
                case 'd':
                    return TimeSpan.FromDays(n);
                case 'w':
                    return TimeSpan.FromDays(7 * n);
            }
        }

        throw new CliUsageException($"--since has '{text}'; use a count and a unit such as 12h, 7d or 4w");
    }

    private static DateTimeOffset ParseInstant(string text, string option, bool endOfDay)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            var start = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            return endOfDay ? start.AddDays(1) : start;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var instant))
        {
            return instant;
        }

        throw new CliUsageException($"{option} has '{text}'; use a date such as 2026-11-23 or a time such as 2026-11-23T08:00:00Z");
    }

    private static async Task WriteTableAsync(TextWriter stdout, SpendGrouping by, IReadOnlyList<SpendTotal> totals)
    {
        var headers = new List<string>();
        if (by.HasFlag(SpendGrouping.Tenant))
        {
            headers.Add("tenant");
        }

        if (by.HasFlag(SpendGrouping.Feature))
        {
            headers.Add("feature");
        }

        if (by.HasFlag(SpendGrouping.Model))
        {
            headers.Add("model");
        }

        if (by.HasFlag(SpendGrouping.Day))
        {
            headers.Add("day");
        }

        var keyCount = headers.Count;
        headers.AddRange(["calls", "cost (USD)", "avoided (USD)", "input tok", "output tok"]);
        var rows = totals.Select(t => new[]
        {
            t.Tenant, t.Feature, t.Model, t.Day?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        }.Where(v => v is not null).Select(v => v!.Length == 0 ? "-" : v!).Concat(
        [
            t.Calls.ToString("N0", CultureInfo.InvariantCulture), CliApp.Money(decimal.Round(t.Cost, 6)), CliApp.Money(decimal.Round(t.CostAvoided, 6)),
            t.InputTokens.ToString("N0", CultureInfo.InvariantCulture), t.OutputTokens.ToString("N0", CultureInfo.InvariantCulture),
        ]).ToArray()).ToList();
        if (rows.Count == 0)
        {
            await stdout.WriteLineAsync("no calls recorded in that range");
            return;
        }

        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
        await stdout.WriteLineAsync(Line(headers, widths, keyCount));
        foreach (var row in rows)
        {
            await stdout.WriteLineAsync(Line(row, widths, keyCount));
        }

        if (rows.Count > 1)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"total: {totals.Sum(t => t.Calls):N0} calls, {CliApp.Money(decimal.Round(totals.Sum(t => t.Cost), 6))} USD, {CliApp.Money(decimal.Round(totals.Sum(t => t.CostAvoided), 6))} USD avoided"));
        }
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths, int keyCount)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
            {
                builder.Append("  ");
            }

            builder.Append(i < keyCount ? cells[i].PadRight(widths[i]) : cells[i].PadLeft(widths[i]));
        }

        return builder.ToString().TrimEnd();
    }
}
