using System.Text.Json;
using TokenGovernor.Cli;

namespace TokenGovernor.Tests.Forecasting;

public class SpendForecasterTests
{
    private static readonly DateOnly s_start = new(2026, 10, 1);

    [Fact]
    public void Forecast_ConstantSpend_RunRateIsTheDailyAverage()
    {
        var history = Enumerable.Range(0, 40).Select(d => new DailySpend(s_start.AddDays(d), "support", 10m)).ToList();

        var total = new SpendForecaster().Forecast(history)[0];

        Assert.Equal("(total)", total.Feature);
        Assert.Equal(10m, total.DailyRunRate);
        Assert.Equal(304.375m, total.MonthlyRunRate);
        Assert.Equal(400m, total.HistorySpend);
    }

    [Fact]
    public void Forecast_Scenario_CompoundsTheTwelveMonthMultiplierMonthly()
    {
        var history = Enumerable.Range(0, 28).Select(d => new DailySpend(s_start.AddDays(d), "agent", 10m)).ToList();

        var projections = new SpendForecaster().Forecast(history)[0].Projections;

        var twelve = projections.Single(p => p.Scenario == "conservative" && p.Months == 12);
        var expected = Enumerable.Range(1, 12).Sum(k => 304.375 * Math.Pow(1.3, k / 12.0));
        Assert.Equal(expected, (double)twelve.Low, 0);
        Assert.Equal(twelve.Low, twelve.High);
        var range = projections.Single(p => p.Scenario == "expected" && p.Months == 6);
        Assert.True(range.Low < range.High);
        Assert.True(projections.Single(p => p.Scenario == "aggressive" && p.Months == 12).Low > twelve.Low);
    }

    [Fact]
    public void Forecast_RunRateWindow_UsesOnlyTheLatestDaysCountingGapsAsZero()
    {
        var history = new List<DailySpend> { new(s_start, "search", 1000m), new(s_start.AddDays(50), "search", 28m) };

        var search = new SpendForecaster().Forecast(history).Single(f => f.Feature == "search");

        Assert.Equal(1m, search.DailyRunRate); // 28 USD over the 28-day window; the old spike is outside it
    }

    [Fact]
    public void Forecast_Outcomes_GiveCostPerOutcome()
    {
        var history = new List<DailySpend> { new(s_start, "support", 30m, 10), new(s_start.AddDays(1), "support", 20m, 15), new(s_start, "search", 5m) };

        var forecast = new SpendForecaster().Forecast(history);

        Assert.Equal(2m, forecast.Single(f => f.Feature == "support").CostPerOutcome);
        Assert.Null(forecast.Single(f => f.Feature == "search").CostPerOutcome);
    }

    [Fact]
    public void Forecast_OutcomesOfTwoFeatures_TotalDoesNotAddThem()
    {
        var history = new List<DailySpend> { new(s_start, "support", 30m, 10), new(s_start, "coding", 40m, 4) };

        var total = new SpendForecaster().Forecast(history)[0];

        Assert.Null(total.Outcomes);
        Assert.Null(total.CostPerOutcome);
        Assert.True(total.OutcomeKindsDiffer);
    }

    [Fact]
    public void Forecast_SameNamedOutcomeKindAcrossFeatures_TotalAddsThem()
    {
        var history = new List<DailySpend>
        {
            new(s_start, "support-en", 30m, 10) { OutcomeKind = "tickets" },
            new(s_start, "support-de", 10m, 10) { OutcomeKind = "tickets" },
        };

        var total = new SpendForecaster().Forecast(history)[0];

        Assert.Equal(20, total.Outcomes);
        Assert.Equal(2m, total.CostPerOutcome);
        Assert.Equal("tickets", total.OutcomeKind);
    }

    [Fact]
    public void Forecast_OneFeatureWithTwoNamedKinds_GivesNoCostPerOutcome()
    {
        var history = new List<DailySpend>
        {
            new(s_start, "agent", 30m, 10) { OutcomeKind = "tickets" },
            new(s_start.AddDays(1), "agent", 10m, 3) { OutcomeKind = "prs" },
        };

        var agent = new SpendForecaster().Forecast(history).Single(f => f.Feature == "agent");

        Assert.Null(agent.CostPerOutcome);
        Assert.True(agent.OutcomeKindsDiffer);
    }

    [Fact]
    public void Forecast_NegativeSpend_ThrowsNamingTheRow()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SpendForecaster().Forecast([new DailySpend(s_start, "agent", -1m)]));

        Assert.Contains("agent", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2026-10-01", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cli_Forecast_JsonHasRunRateProjectionsAndCostPerOutcome()
    {
        var path = Path.GetTempFileName();
        try
        {
            var lines = new List<string> { "date,feature,spend,outcomes" };
            lines.AddRange(Enumerable.Range(0, 28).Select(d => $"{s_start.AddDays(d):yyyy-MM-dd},support,3.5,7"));
            await File.WriteAllLinesAsync(path, lines);
            var stdout = new StringWriter();

            var code = await CliApp.RunAsync(["forecast", "--history", path, "--json"], TextReader.Null, stdout, TextWriter.Null);

            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(stdout.ToString());
            var support = doc.RootElement.GetProperty("features").EnumerateArray().Single(f => f.GetProperty("feature").GetString() == "support");
            Assert.Equal(3.5m, support.GetProperty("daily_run_rate").GetDecimal());
            Assert.Equal(0.5m, support.GetProperty("cost_per_outcome").GetDecimal());
            Assert.Equal(9, support.GetProperty("projections").GetArrayLength());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Cli_Forecast_BadDate_ExitsTwoNamingTheLine()
    {
        var path = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(path, ["2026-10-01,support,1", "01/10/2026,support,1"]);
            var stderr = new StringWriter();

            var code = await CliApp.RunAsync(["forecast", "--history", path], TextReader.Null, TextWriter.Null, stderr);

            Assert.Equal(2, code);
            Assert.Contains("line 2", stderr.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
