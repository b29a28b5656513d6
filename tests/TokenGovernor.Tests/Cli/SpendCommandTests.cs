using System.Text.Json;
using TokenGovernor.Cli;
using TokenGovernor.Sqlite;

namespace TokenGovernor.Tests.Cli;

public sealed class SpendCommandTests : IDisposable
{
    private static readonly DateTimeOffset s_day = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"tokengov-spend-{Guid.NewGuid():N}.db");

    private static async Task<(int Code, string Out, string Err)> Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(args, new StringReader(string.Empty), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private async Task WriteAsync(params GovernanceRecord[] records)
    {
        using var store = new SqliteSpendStore(_path);
        await store.WriteAsync(records);
    }

    private static GovernanceRecord Call(string tenant, string feature, DateTimeOffset at, decimal cost, decimal avoided = 0) => new()
    {
        Timestamp = at,
        Scope = new GovernanceScope { Tenant = tenant, Feature = feature },
        ModelId = "gpt-4o-mini",
        Usage = new TokenUsage(100, 0, 0, 10, 0),
        Cost = new CostBreakdown(cost, 0, 0, 0, 0),
        CostAvoided = avoided,
        Cache = avoided > 0 ? CacheStatus.Exact : CacheStatus.None,
    };

    [Fact]
    public async Task Spend_JsonByTenantFeature_PrintsOneLinePerGroupWithExactlyTheContractFields()
    {
        await WriteAsync(Call("acme", "faq", s_day, 0.001m), Call("acme", "faq", s_day, 0.002m, 0.5m), Call("globex", "faq", s_day, 0.004m));

        var (code, output, _) = await Run("spend", "--db", _path, "--by", "tenant,feature", "--json");

        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal(["tenant", "feature", "calls", "cost", "cost_avoided", "input_tokens", "output_tokens"], first.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("acme", first.RootElement.GetProperty("tenant").GetString());
        Assert.Equal(2, first.RootElement.GetProperty("calls").GetInt64());
        Assert.Equal(0.003m, first.RootElement.GetProperty("cost").GetDecimal());
        Assert.Equal(0.5m, first.RootElement.GetProperty("cost_avoided").GetDecimal());
        Assert.Equal(200, first.RootElement.GetProperty("input_tokens").GetInt64());
        Assert.Equal(20, first.RootElement.GetProperty("output_tokens").GetInt64());
    }

    [Fact]
    public async Task Spend_FromToDates_IncludesTheWholeToDay()
    {
        await WriteAsync(Call("a", "f", s_day.AddDays(-1), 1m), Call("a", "f", s_day.AddHours(15), 2m), Call("a", "f", s_day.AddDays(1), 4m));

        var (code, output, _) = await Run("spend", "--db", _path, "--from", "2026-11-23", "--to", "2026-11-23", "--by", "day", "--json");

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output.Trim());
        Assert.Equal("2026-11-23", doc.RootElement.GetProperty("day").GetString());
        Assert.Equal(2m, doc.RootElement.GetProperty("cost").GetDecimal());
    }

    [Fact]
    public void ParseRange_Since7d_CountsBackFromNow()
    {
        var (from, to) = SpendCommand.ParseRange("7d", null, null, s_day);

        Assert.Equal(s_day.AddDays(-7), from);
        Assert.Null(to);
    }

    [Theory]
    [InlineData("--by", "tenant,region", "--by has 'region'")]
    [InlineData("--since", "7 days", "--since has '7 days'")]
    [InlineData("--from", "yesterday", "--from has 'yesterday'")]
    public async Task Spend_BadOption_ExitsTwoNamingIt(string option, string value, string message)
    {
        await WriteAsync(Call("a", "f", s_day, 1m));

        var (code, _, error) = await Run("spend", "--db", _path, option, value);

        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spend_MissingFile_ExitsTwoNamingDb()
    {
        var (code, _, error) = await Run("spend", "--db", _path + ".missing");

        Assert.Equal(2, code);
        Assert.Contains("--db file", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Spend_SinceAndFrom_ExitsTwo()
    {
        await WriteAsync(Call("a", "f", s_day, 1m));

        var (code, _, error) = await Run("spend", "--db", _path, "--since", "7d", "--from", "2026-11-01");

        Assert.Equal(2, code);
        Assert.Contains("either --since or --from/--to", error, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(_path + suffix);
        }
    }
}
