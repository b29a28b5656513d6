using System.Text.Json;
using Microsoft.Extensions.AI;

namespace TokenGovernor.Cli;

/// <summary><c>tokengov classify</c>: the tier default routing picks for each prompt, and the traffic mix.</summary>
internal sealed class ClassifyCommand : ICliCommand
{
    /// <inheritdoc />
    public string Name => "classify";

    /// <inheritdoc />
    public IReadOnlyCollection<string> Flags { get; } = ["json"];

    /// <inheritdoc />
    public string Usage => """
          tokengov classify --prompts F.jsonl [--json]
              The tier default routing would pick for each line {"prompt": "..."} or {"messages": [...]}: one JSON line
              {"tier","score","signals"} each, then the traffic mix per tier.

        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var stdout = context.Stdout;
        var path = cli.String("prompts") ?? throw new CliUsageException("classify needs --prompts F.jsonl");
        var json = cli.Flag("json");
        cli.ThrowIfUnknownOptions();

        var options = new RoutingOptions();
        var router = new ModelRoutingChatClient(new NoProviderChatClient(), options);
        var mix = options.Tiers.ToDictionary(t => t.Name, _ => 0, StringComparer.Ordinal);
        await foreach (var (lineNumber, line) in CliApp.ReadLinesAsync(path))
        {
            List<ChatMessage> messages;
            ChatOptions? chatOptions = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String)
                {
                    messages = [new ChatMessage(ChatRole.User, prompt.GetString())];
                }
                else
                {
                    (messages, chatOptions) = ChatRequestJson.Parse(line);
                }
            }
            catch (Exception ex) when (ex is JsonException or FormatException)
            {
                throw new CliUsageException($"{path} line {lineNumber}: expected {{\"prompt\": \"...\"}} or {{\"messages\": [...]}}: {CliApp.OneLine(ex.Message)}");
            }

            var (tier, assessment, reasons) = router.Decide(messages, chatOptions);
            var name = options.Tiers[tier].Name;
            mix[name]++;
            await stdout.WriteLineAsync(CliApp.Json(w =>
            {
                w.WriteString("tier", name);
                w.WriteNumber("score", assessment.Score);
                w.WriteStartArray("signals");
                foreach (var reason in reasons)
                {
                    w.WriteStringValue(reason);
                }

                w.WriteEndArray();
            }));
        }

        var total = Math.Max(1, mix.Values.Sum());
        if (json)
        {
            await stdout.WriteLineAsync(CliApp.Json(w =>
            {
                w.WriteStartObject("mix");
                foreach (var (tier, count) in mix)
                {
                    w.WriteNumber(tier, count);
                }

                w.WriteEndObject();
            }));
        }
        else
        {
            foreach (var (tier, count) in mix)
            {
                await stdout.WriteLineAsync(FormattableString.Invariant($"{tier,-10} {count,6} {(double)count / total,7:P1}"));
            }
        }

        return 0;
    }
}
