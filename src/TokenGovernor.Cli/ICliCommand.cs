namespace TokenGovernor.Cli;

/// <summary>
/// One <c>tokengov</c> command: its name, its help text and what it does. Register each command once, in
/// <see cref="CliCommands.All"/>; <see cref="CliApp"/> parses the line, answers <c>--help</c> and turns errors into one line
/// on stderr with exit code 2.
/// </summary>
internal interface ICliCommand
{
    /// <summary>The word after <c>tokengov</c> (<c>count</c>, <c>cost</c>, …).</summary>
    string Name { get; }

    /// <summary>
    /// The options of this command that are switches (<c>--json</c>): they take no value. Every other <c>--name</c> takes
    /// the next argument (or <c>--name=value</c>) as its value.
    /// </summary>
    IReadOnlyCollection<string> Flags { get; }

    /// <summary>
    /// The command's block of <c>tokengov --help</c>, lines indented by two spaces (synopsis) and six (description), as
    /// <c>tokengov NAME --help</c> prints it. End it with an empty line to put a blank line after it in <c>tokengov --help</c>.
    /// </summary>
    string Usage { get; }

    /// <summary>
    /// Runs the command. Read every option through <paramref name="cli"/> and call
    /// <see cref="CliArguments.ThrowIfUnknownOptions"/> before doing any work. Throw <see cref="CliUsageException"/> for bad
    /// arguments or unreadable input; any other exception is reported the same way (one line, exit code 2).
    /// </summary>
    /// <returns>The process exit code: 0 on success.</returns>
    Task<int> RunAsync(CliArguments cli, CliContext context);
}
