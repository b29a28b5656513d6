
namespace TokenGovernor.Cli;

/// <summary><c>tokengov count</c>: tokens of a text or of a chat request as the provider bills it.</summary>
internal sealed class CountCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "count";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["chat", "json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov count --model M [--file F] [--chat] [--json]
              Tokens of the text in F (or stdin). --chat reads {"messages":[{"role","content","name"?}],"tools":[...]}
              and counts the prompt as the provider bills it.
        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var stdin = context.Stdin;
        var stdout = context.Stdout;
        var model = cli.String("model") ?? throw new CliUsageException("count needs --model");
        var file = cli.String("file");
        var chat = cli.Flag("chat");
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();

        var text = file is null ? await stdin.ReadToEndAsync() : await CliApp.ReadFileAsync(file);
        var estimator = TiktokenTokenEstimator.Default;
        var info = estimator.GetTokenizerInfo(model);
        int tokens;
        if (chat)
        {
            var (messages, options) = ChatRequestJson.Parse(text);
            tokens = estimator.CountPromptTokens(messages, options, model);
        }
        else
        {
            tokens = estimator.CountTokens(text, model);
        }

        if (json)
        {
            await stdout.WriteLineAsync(CliApp.Json(w =>
            {
                w.WriteString("model", model);
                w.WriteString("encoding", info.Encoding);
                w.WriteNumber("tokens", tokens);
                if (!info.IsExact)
                {
                    w.WriteNumber("expected_relative_error", info.ExpectedRelativeError);
                }
            }));
        }
        else
        {
            var exactness = info.IsExact ? "exact" : FormattableString.Invariant($"estimate, expected error ±{info.ExpectedRelativeError:P0}");
            await stdout.WriteLineAsync(FormattableString.Invariant($"{tokens} tokens ({model}, {info.Encoding}, {exactness})"));
        }

        return 0;
    }
}
