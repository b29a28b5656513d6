using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TokenGovernor.IntegrationTests;

/// <summary>The demo's <c>governance.db</c>, queried by <c>tokengov spend</c> in another process, reproduces the totals the demo printed.</summary>
public sealed partial class DemoSpendStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "tokengov-demo-" + Guid.NewGuid().ToString("N"));

    public DemoSpendStoreTests() => Directory.CreateDirectory(_directory);

    [Fact]
    public async Task Demo_SpendByFeatureFromItsDatabase_MatchesItsPrintedTotalsToTheCent()
    {
        var demo = await RunAsync(Built("AgentCostDemo", "samples", "AgentCostDemo.dll"));
        var printed = PrintedFeature().Matches(demo).ToDictionary(
            m => m.Groups["feature"].Value,
            m => (Calls: long.Parse(m.Groups["calls"].Value, CultureInfo.InvariantCulture), Cost: decimal.Parse(m.Groups["cost"].Value, CultureInfo.InvariantCulture)));
        Assert.Equal(["coding-agent", "faq", "support-agent"], printed.Keys.Order(StringComparer.Ordinal));

        var json = await RunAsync(Built("TokenGovernor.Cli", "src", "tokengov.dll"), "spend", "--db", "governance.db", "--by", "feature", "--json");

        var lines = json.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(printed.Count, lines.Length);
        foreach (var line in lines)
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var feature = root.GetProperty("feature").GetString()!;
            var cost = root.GetProperty("cost").GetDecimal();
            Assert.Equal(decimal.Round(printed[feature].Cost, 2), decimal.Round(cost, 2));
            Assert.Equal(printed[feature].Cost, decimal.Round(cost, 4)); // the demo prints four decimals: equal to those too
            Assert.Equal(printed[feature].Calls, root.GetProperty("calls").GetInt64());
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [GeneratedRegex(@"spend-store feature (?<feature>\S+): (?<calls>\d+) calls, \$(?<cost>[0-9.]+)")]
    private static partial Regex PrintedFeature();

    private static string Built(string project, string folder, string dll)
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
        var path = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", folder, project, "bin", configuration, "net10.0", dll));
        Assert.True(File.Exists(path), $"not built: {path}");
        return path;
    }

    private async Task<string> RunAsync(string dll, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = _directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(3));
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(dll)} exited {process.ExitCode}: {await error}");
        return await output;
    }
}
