namespace TokenGovernor.Cli;

/// <summary>The registry of <c>tokengov</c> commands.</summary>
/// <remarks>
/// To add a command: write one file <c>XCommand.cs</c> with a <c>sealed class XCommand : ICliCommand</c> (see
/// <c>Commands/ModelsCommand.cs</c> for the smallest one), then add <c>new XCommand()</c> to <see cref="All"/> below. Its
/// <see cref="ICliCommand.Usage"/> appears in <c>tokengov --help</c> in this order, and alone in <c>tokengov x --help</c>;
/// its name joins the "use one of" list of the unknown-command error. See README.md in this folder.
/// </remarks>
internal static class CliCommands
{
    /// <summary>Every command, in the order <c>tokengov --help</c> lists them.</summary>
    public static readonly IReadOnlyList<ICliCommand> All =
    [
        new CountCommand(),
        new CostCommand(),
        new ModelsCommand(),
        new PricesCommand(),
        new CalibrateCommand(),
        new ClassifyCommand(),
        new ReplayCommand(),
        new ForecastCommand(),
        new SpendCommand(),
        new ReportCommand(),
        new RouteCommand(),
    ];

}
