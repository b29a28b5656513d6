using System.Globalization;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov report --db F --out report.html [--since 7d | --from D --to D] [--title T]</c>.</summary>
internal sealed class ReportCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "report";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = [];

    /// <inheritdoc />
    public string Usage => """
          tokengov report --db F --out report.html [--since 7d | --from D --to D] [--title T]
              The self-contained HTML report (spend over time, by tenant, feature and model, budget use with degradations
              and refusals, savings by mechanism) built from the calls in a spend store (--db as for spend).

        """;

    /// <inheritdoc />
    public Task<int> RunAsync(CliArguments cli, CliContext context) => RunAsync(cli, context.Stdout, TimeProvider.System);

    internal static async Task<int> RunAsync(CliArguments cli, TextWriter stdout, TimeProvider time)
    {
        var db = cli.String("db");
        var output = cli.String("out") ?? throw new CliUsageException("report needs --out report.html");
        var (from, to) = SpendCommand.ParseRange(cli.String("since"), cli.String("from"), cli.String("to"), time.GetUtcNow());
        var title = cli.String("title") ?? "TokenGovernor report";
        cli.ThrowIfUnknownOptions();

        var store = SpendStores.Open(db, "report");
        try
        {
            var report = await SpendStores.RunAsync(db!, () => GovernanceReport.FromStoreAsync(store, title, from, to));
            try
            {
                await File.WriteAllTextAsync(output, report.ToHtml());
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or DirectoryNotFoundException)
            {
                throw new CliUsageException($"cannot write --out '{output}': {ex.Message.ReplaceLineEndings(" ")}");
            }

            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"wrote {Path.GetFullPath(output)} (spend {CliApp.Money(decimal.Round(report.TotalSpend, 4))} USD)"));
            return 0;
        }
        finally
        {
            await SpendStores.DisposeAsync(store);
        }
    }
}
