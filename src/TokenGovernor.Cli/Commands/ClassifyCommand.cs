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
          tokengov classify --prompts F.jsonl [--router router.json [--embedder E] [--threshold T | --strong-share S]] [--json]
              The tier routing would pick for each line {"prompt": "..."} or {"messages": [...]}: one JSON line
              {"tier","score","signals"} per input line, score rising with the need for a stronger tier; then the traffic
              mix per tier (on stderr with --json, so stdout has exactly one line per input line). Without --router the
              default rule classifier decides among Small, Medium, Large and Reasoning; with it, the learned router
              written by route train, at its stored operating point or at --threshold T (a score) or --strong-share S
              (the share of training calls sent up).

        """;

    /// <inheritdoc />
    public async Task<int> RunAsync(CliArguments cli, CliContext context)
    {
        var stdout = context.Stdout;
        var path = cli.String("prompts") ?? throw new CliUsageException("classify needs --prompts F.jsonl");
        var json = cli.Flag("json");
        var routerPath = cli.String("router");
        var embedderName = cli.String("embedder");
        var threshold = RouteCommand.Number(cli, "threshold");
        var strongShare = RouteCommand.Number(cli, "strong-share");
        cli.ThrowIfUnknownOptions();
        CliApp.RequireFile(path, "--prompts");
        if (routerPath is null && (embedderName ?? threshold?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? strongShare?.ToString(System.Globalization.CultureInfo.InvariantCulture)) is not null)
        {
            throw new CliUsageException("--embedder, --threshold and --strong-share apply to a learned router; give --router router.json");
        }

        if (threshold is not null && strongShare is not null)
        {
            throw new CliUsageException("give --threshold or --strong-share, not both");
        }

        if (threshold is < 0 or > 1 || strongShare is < 0 or > 1)
        {
            throw new CliUsageException("--threshold and --strong-share must be in [0, 1]");
        }

        if (routerPath is not null)
        {
            CliApp.RequireFile(routerPath, "--router");
        }

        LearnedRouter? learned = null;
        using var embedder = routerPath is null ? null : RouterEmbedders.ForRouterFile(RouteCommand.RecordedEmbedder(routerPath), embedderName);
        if (routerPath is not null)
        {
            learned = LearnedRouter.Load(routerPath, embedder);
            learned = threshold is { } t ? learned.WithThreshold(t) : strongShare is { } share ? learned.WithStrongShare(share) : learned;
        }

        // Only tier names matter here (nothing is sent); the rule classifier's four tiers are those of the OpenAI preset.
        var options = new RoutingOptions().UseOpenAITiers();
        var router = new ModelRoutingChatClient(new NoProviderChatClient(), options);
        var tierNames = learned?.Tiers ?? [.. options.Tiers.Select(t => t.Name)];
        var mix = tierNames.ToDictionary(t => t, _ => 0, StringComparer.Ordinal);
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

            string name;
            ComplexityAssessment assessment;
            IReadOnlyList<string> reasons;
            if (learned is not null)
            {
                assessment = await learned.ClassifyAsync(messages, chatOptions, learned.Tiers, CancellationToken.None);
                (name, reasons) = (learned.Tiers[assessment.Tier], assessment.Signals);
            }
            else
            {
                (var tier, assessment, reasons) = router.Decide(messages, chatOptions);
                name = options.Tiers[tier].Name;
            }

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
            await context.Stderr.WriteLineAsync(CliApp.Json(w =>
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
