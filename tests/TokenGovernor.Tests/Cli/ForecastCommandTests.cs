using System.Text.Json;
using TokenGovernor.Cli;
using TokenGovernor.Sqlite;

namespace TokenGovernor.Tests.Cli;

public sealed class ForecastCommandTests : IDisposable
{
    private static readonly DateOnly s_start = new(2026, 10, 1);
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-forecast-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(args, new StringReader(string.Empty), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private async Task<string> CsvAsync(params string[] lines)
    {
        var path = Path.Combine(_dir, $"history-{Guid.NewGuid():N}.csv");
        await File.WriteAllLinesAsync(path, lines);
        return path;
    }

    private static IEnumerable<string> Days(int count, string feature, string spend) =>
        Enumerable.Range(0, count).Select(d => $"{s_start.AddDays(d):yyyy-MM-dd},{feature},{spend}");

    private static JsonElement Feature(string json, string name) =>
        JsonDocument.Parse(json).RootElement.GetProperty("features").EnumerateArray().Single(f => f.GetProperty("feature").GetString() == name);

    [Fact]
    public async Task Forecast_QuotedFeatureWithComma_ReadsOneFeature()
    {
        var path = await CsvAsync([.. Days(28, "\"support, tier 1\"", "2")]);

        var (code, output, _) = await Run("forecast", "--history", path, "--json");

        Assert.Equal(0, code);
        Assert.Equal(2m, Feature(output, "support, tier 1").GetProperty("daily_run_rate").GetDecimal());
    }

    [Fact]
    public async Task Forecast_HeaderInAnyOrder_MapsColumnsByName()
    {
        var path = await CsvAsync("spend,feature,date,outcomes,outcome_kind", "6,support,2026-10-01,3,tickets");

        var (code, output, _) = await Run("forecast", "--history", path, "--months", "1", "--json");

        Assert.Equal(0, code);
        var support = Feature(output, "support");
        Assert.Equal(2m, support.GetProperty("cost_per_outcome").GetDecimal());
        Assert.Equal("tickets", support.GetProperty("outcome_kind").GetString());
    }

    [Fact]
    public async Task Forecast_OneDayOverTwelveMonths_WarnsOnStderr()
    {
        var path = await CsvAsync("2026-10-01,support,5");

        var (code, output, error) = await Run("forecast", "--history", path, "--months", "12");

        Assert.Equal(0, code);
        Assert.StartsWith("tokengov: warning: the history covers 1 day (2026-10-01), too short to project 12 months", error, StringComparison.Ordinal);
        Assert.Contains("at least 92 days", error, StringComparison.Ordinal);
        Assert.Contains("support", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forecast_ShortHistoryJson_CarriesTheWarning()
    {
        var path = await CsvAsync([.. Days(10, "support", "1")]);

        var (_, output, _) = await Run("forecast", "--history", path, "--json");

        var warning = Assert.Single(JsonDocument.Parse(output).RootElement.GetProperty("warnings").EnumerateArray());
        Assert.Contains("10 days (2026-10-01 to 2026-10-10)", warning.GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forecast_HistoryLongEnoughForHorizon_NoWarning()
    {
        var path = await CsvAsync([.. Days(92, "support", "1")]);

        var (code, _, error) = await Run("forecast", "--history", path, "--months", "3,6,12");

        Assert.Equal(0, code);
        Assert.Empty(error);
    }

    [Fact]
    public async Task Forecast_TicketsAndCodingTasks_TotalHasNoCostPerOutcome()
    {
        var path = await CsvAsync("date,feature,spend,outcomes", "2026-10-01,support,10,5", "2026-10-01,coding,30,3");

        var (code, output, _) = await Run("forecast", "--history", path, "--months", "1", "--json");

        Assert.Equal(0, code);
        var total = Feature(output, "(total)");
        Assert.False(total.TryGetProperty("outcomes", out _));
        Assert.False(total.TryGetProperty("cost_per_outcome", out _));
        Assert.True(total.GetProperty("outcome_kinds_differ").GetBoolean());
        Assert.Equal(2m, Feature(output, "support").GetProperty("cost_per_outcome").GetDecimal());
        Assert.Equal(10m, Feature(output, "coding").GetProperty("cost_per_outcome").GetDecimal());
    }

    [Fact]
    public async Task Forecast_NegativeSpend_OneLineExitTwoWithoutParameterName()
    {
        var path = await CsvAsync("2026-10-01,support,-1");

        var (code, _, error) = await Run("forecast", "--history", path);

        Assert.Equal(2, code);
        Assert.DoesNotContain("Parameter", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("tokengov: The spend of 'support' on 2026-10-01 is negative", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forecast_EmptyHistory_OneLineExitTwo()
    {
        var path = await CsvAsync("date,feature,spend");

        var (code, _, error) = await Run("forecast", "--history", path);

        Assert.Equal(2, code);
        Assert.Equal("tokengov: the --history file has no daily spend; a forecast needs at least one day" + Environment.NewLine, error);
    }

    [Fact]
    public async Task Forecast_UnknownHeaderColumn_NamesItAndTheValidOnes()
    {
        var path = await CsvAsync("date,feature,cost", "2026-10-01,support,1");

        var (code, _, error) = await Run("forecast", "--history", path);

        Assert.Equal(2, code);
        Assert.Contains("unknown column 'cost'", error, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forecast_HistoryAndDb_ExitsTwo()
    {
        var (code, _, error) = await Run("forecast", "--history", "a.csv", "--db", "b.db");

        Assert.Equal(2, code);
        Assert.Equal("tokengov: give either --history or --db, not both" + Environment.NewLine, error);
    }

    [Fact]
    public async Task Forecast_Db_ReadsDailySpendPerFeatureFromTheStore()
    {
        var db = Path.Combine(_dir, "governance.db");
        using (var store = new SqliteSpendStore(db))
        {
            var start = new DateTimeOffset(s_start.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).AddHours(9);
            await store.WriteAsync([.. Enumerable.Range(0, 28).SelectMany(d => new[]
            {
                Call("support", start.AddDays(d), 1.25m),
                Call("support", start.AddDays(d).AddHours(2), 0.75m),
                Call("search", start.AddDays(d), 0.5m),
            })]);
        }

        var (code, output, error) = await Run("forecast", "--db", db, "--months", "1", "--json");

        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.Equal(2m, Feature(output, "support").GetProperty("daily_run_rate").GetDecimal());
        Assert.Equal(0.5m, Feature(output, "search").GetProperty("daily_run_rate").GetDecimal());
        Assert.Equal(70m, Feature(output, "(total)").GetProperty("history_spend").GetDecimal());
    }

    [Fact]
    public async Task Forecast_DbRangeWithNoCalls_ExitsTwoSayingSo()
    {
        var db = Path.Combine(_dir, "empty.db");
        using (var store = new SqliteSpendStore(db))
        {
            await store.WriteAsync([Call("support", new DateTimeOffset(2026, 10, 1, 9, 0, 0, TimeSpan.Zero), 1m)]);
        }

        var (code, _, error) = await Run("forecast", "--db", db, "--from", "2027-01-01");

        Assert.Equal(2, code);
        Assert.Equal("tokengov: the spend store has no daily spend in that range; a forecast needs at least one day" + Environment.NewLine, error);
    }

    private static GovernanceRecord Call(string feature, DateTimeOffset at, decimal cost) => new()
    {
        Timestamp = at,
        Scope = new GovernanceScope { Tenant = "acme", Feature = feature },
        ModelId = "gpt-4o-mini",
        Usage = new TokenUsage(100, 0, 0, 10, 0),
        Cost = new CostBreakdown(cost, 0, 0, 0, 0),
    };
}
