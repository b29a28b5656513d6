namespace TokenGovernor.Cli;

/// <summary>Bad arguments or unreadable input: reported as one line and exit code 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);
