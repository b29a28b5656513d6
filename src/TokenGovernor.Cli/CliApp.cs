using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace TokenGovernor.Cli;

/// <summary>
/// The <c>tokengov</c> entry point: parses the line, answers <c>--help</c> (whole or per command), runs the command from
/// <see cref="CliCommands.All"/>, and reports every error as one line on stderr with exit code 2. A thin shell over the
/// library: every figure comes from it. Shared helpers for commands (JSON, money, input files) live here too.
/// </summary>
internal static class CliApp
{
    private const string Header = "tokengov — token counts and costs from the TokenGovernor library";

    private const string Footer = """
          --catalog F   load a price file (LiteLLM, genai-prices or prices-import JSON) over the built-in catalog (any command)
        Exit codes: 0 success, 1 some --usages/--raw line could not be priced (it gets an "error" field), 2 bad arguments or unreadable input.
        """;

    private static readonly Dictionary<string, ICliCommand> s_commands = CliCommands.All.ToDictionary(c => c.Name, StringComparer.Ordinal);

    // Switches of every command, plus --help: a switch takes no value wherever it appears, so one set serves the parser.
    private static readonly HashSet<string> s_flags = new(CliCommands.All.SelectMany(c => c.Flags).Append("help"), StringComparer.Ordinal);

    /// <summary>The text of <c>tokengov --help</c>: the header, each command's usage in registration order, the footer.</summary>
    internal static string Help { get; } = BuildHelp();

    /// <summary>Runs one command line. Never throws: errors are one line on <paramref name="stderr"/> and exit code 2.</summary>
    public static async Task<int> RunAsync(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
            {
                if (args.Length >= 2 && args[0] == "help")
                {
                    await stdout.WriteLineAsync(CommandHelp(Find(args[1])));
                    return 0;
                }

                await stdout.WriteLineAsync(Help);
                return args.Length == 0 ? 2 : 0;
            }

            if (s_commands.TryGetValue(args[0], out var asked) && args.Skip(1).Any(a => a is "--help" or "-h"))
            {
                await stdout.WriteLineAsync(CommandHelp(asked));
                return 0;
            }

            var cli = CliArguments.Parse(args, s_flags);
            var catalog = LoadCatalog(cli.String("catalog"));
            var command = Find(cli.Command);
            return await command.RunAsync(cli, new CliContext(stdin, stdout, stderr, catalog));
        }
        catch (CliUsageException ex)
        {
            await stderr.WriteLineAsync($"tokengov: {OneLine(ex.Message)}");
            return 2;
        }
        catch (InvalidDataException ex) when (ex.InnerException is { } inner)
        {
            // A configuration file that is not valid JSON: the inner exception says where.
            await stderr.WriteLineAsync($"tokengov: {OneLine(ex.Message)} {OneLine(inner.Message)}");
            return 2;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or JsonException or UnknownModelException
            or InvalidOperationException or ArgumentException or OptionsValidationException)
        {
            await stderr.WriteLineAsync($"tokengov: {OneLine(ex is ArgumentException a ? WithoutParameterName(a) : ex.Message)}");
            return 2;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Still one line and exit code 2 (the rule for every CLI error), but say what kind of failure it was.
            await stderr.WriteLineAsync($"tokengov: {ex.GetType().Name}: {OneLine(ex.Message)}");
            return 2;
        }
    }

    private static ICliCommand Find(string name) =>
        s_commands.TryGetValue(name, out var command)
            ? command
            : throw new CliUsageException($"unknown command '{name}'; use one of: {string.Join(", ", CliCommands.All.Select(c => c.Name))}");

    private static string CommandHelp(ICliCommand command) => command.Usage.TrimEnd('\n') + "\n\n" + Footer;

    private static string BuildHelp()
    {
        var help = new StringBuilder(Header).Append("\n\n");
        foreach (var command in CliCommands.All)
        {
            help.Append(command.Usage);
            help.Append('\n');
        }

        if (!help.ToString().EndsWith("\n\n", StringComparison.Ordinal))
        {
            help.Append('\n');
        }

        return help.Append(Footer).ToString();
    }

    private static PriceCatalog LoadCatalog(string? path)
    {
        if (path is null)
        {
            return PriceCatalog.BuiltIn;
        }

        RequireFile(path, "--catalog");

        return PriceCatalog.BuiltIn.ToBuilder().AddPriceFile(path).Build();
    }

    /// <summary>Fails with exit code 2 and a message naming the option when its file does not exist.</summary>
    internal static void RequireFile(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw new CliUsageException($"{option} file '{path}' does not exist");
        }
    }

    internal static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    // Strips trailing zeros (2.5000000 → 2.5) so JSON output is stable.
    internal static decimal Normalize(decimal value) => value / 1.0000000000000000000000000000m;

    internal static string Money(decimal value) => Normalize(value).ToString("0.##########", CultureInfo.InvariantCulture);

    internal static string OneLine(string text) => text.ReplaceLineEndings(" ");

    /// <summary>The message of <paramref name="ex"/> without .NET's " (Parameter 'x')" suffix: a CLI user never sees a code parameter name.</summary>
    internal static string WithoutParameterName(ArgumentException ex) =>
        ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message;

    internal static async Task<string> ReadFileAsync(string path)
    {
        using var reader = OpenText(path);
        return await reader.ReadToEndAsync();
    }

    /// <summary>The non-blank lines of a file with their 1-based line numbers.</summary>
    internal static async IAsyncEnumerable<(int Number, string Text)> ReadLinesAsync(string path)
    {
        using var reader = OpenText(path);
        var number = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            number++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                yield return (number, line);
            }
        }
    }

    internal static StreamReader OpenText(string path)
    {
        try
        {
            return new StreamReader(path, Encoding.UTF8);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new CliUsageException($"cannot read '{path}': {OneLine(ex.Message)}");
        }
    }

    internal static void Render(TextWriter stdout, Table table)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stdout),
            Ansi = ReferenceEquals(stdout, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = ReferenceEquals(stdout, Console.Out) ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
        });
        console.Profile.Width = 160;
        console.Write(table);
    }
}
