using System.Globalization;

namespace TokenGovernor.Cli;

/// <summary>Parsed command line: one command, <c>--name value</c> options and <c>--flag</c> switches.</summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private string? _subcommand;
    private bool _subcommandRead;

    private CliArguments(string command)
    {
        Command = command;
    }

    public string Command { get; }

    /// <summary>The word after the command, when it is not an option (<c>import</c> in <c>tokengov prices import</c>).</summary>
    public string? Subcommand
    {
        get
        {
            _subcommandRead = true;
            return _subcommand;
        }
    }

    public static CliArguments Parse(string[] args, IReadOnlySet<string> flags)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            throw new CliUsageException("missing command; use one of: count, cost, models (tokengov --help)");
        }

        var parsed = new CliArguments(args[0]);
        var first = 1;
        if (args.Length > 1 && !args[1].StartsWith('-'))
        {
            // A subcommand (tokengov prices import); commands that take none reject it in ThrowIfUnknownOptions.
            parsed._subcommand = args[1];
            first = 2;
        }

        for (var i = first; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new CliUsageException($"unexpected argument '{arg}'");
            }

            var name = arg[2..];
            string? value = null;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (!flags.Contains(name))
            {
                if (i + 1 >= args.Length)
                {
                    throw new CliUsageException($"option --{name} needs a value");
                }

                value = args[++i];
            }

            if (!parsed._options.TryAdd(name, value))
            {
                throw new CliUsageException($"option --{name} is given twice");
            }
        }

        return parsed;
    }

    public bool Flag(string name)
    {
        _read.Add(name);
        return _options.ContainsKey(name);
    }

    public string? String(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    public long? Tokens(string name)
    {
        var text = String(name);
        if (text is null)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new CliUsageException($"--{name} must be a whole number of tokens, not '{text}'");
    }

    public void ThrowIfUnknownOptions()
    {
        if (_subcommand is not null && !_subcommandRead)
        {
            throw new CliUsageException($"unexpected argument '{_subcommand}'");
        }

        foreach (var name in _options.Keys)
        {
            if (!_read.Contains(name))
            {
                throw new CliUsageException($"unknown option --{name} for '{Command}'");
            }
        }
    }
}
