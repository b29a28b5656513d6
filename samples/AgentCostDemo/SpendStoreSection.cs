using System.Globalization;
using Spectre.Console;
using TokenGovernor;

namespace AgentCostDemo;

/// <summary>
/// The demo's spend store: every call of the main workload is also written to <c>governance.db</c> (SQLite), so the figures
/// printed here can be queried again after the process has ended:
/// <c>tokengov spend --db governance.db --by feature --json</c>.
/// </summary>
internal static class SpendStoreSection
{
    public const string DatabasePath = "governance.db";

    /// <summary>Deletes the previous run's store, so the file holds exactly this run's calls.</summary>
    public static void StartFresh()
    {
        foreach (var suffix in new[] { "", "-wal", "-shm" })
        {
            File.Delete(DatabasePath + suffix);
        }
    }

    /// <summary>Prints spend per feature, from the in-memory aggregator (the same figures as the table above).</summary>
    public static void PrintFeatureTotals(InMemoryCostAggregator aggregator)
    {
        AnsiConsole.MarkupLine(CultureInfo.InvariantCulture, "\n[bold]Spend store[/]: every call above is also in {0}. Per feature:", Markup.Escape(Path.GetFullPath(DatabasePath)));
        foreach (var group in aggregator.GetSnapshot().GroupBy(a => a.Feature).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  spend-store feature {group.Key ?? "-"}: {group.Sum(a => a.Calls)} calls, ${group.Sum(a => a.Cost.Total):0.0000}"));
        }

        AnsiConsole.MarkupLine("  Query it again: [bold]tokengov spend --db governance.db --by feature --json[/]");
    }
}
