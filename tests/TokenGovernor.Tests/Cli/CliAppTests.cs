using System.Text.Json;
using TokenGovernor.Cli;

namespace TokenGovernor.Tests.Cli;

public class CliAppTests
{
    private static async Task<(int Code, string Out, string Err)> Run(string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(args, new StringReader(stdin), output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Count_JsonFromStdin_PrintsModelEncodingTokens()
    {
        var (code, output, _) = await Run("hello world", "count", "--model", "gpt-4o", "--json");

        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(output);
        Assert.Equal("gpt-4o", doc.RootElement.GetProperty("model").GetString());
        Assert.Equal("o200k_base", doc.RootElement.GetProperty("encoding").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("tokens").GetInt32());
    }

    [Fact]
    public async Task Count_Chat_CountsPromptLikeTheLibrary()
    {
        const string chat = """{"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi","name":"bob"}]}""";
        var (code, output, _) = await Run(chat, "count", "--model", "gpt-4", "--chat", "--json");

        Assert.Equal(0, code);
        var expected = TiktokenTokenEstimator.Default.CountPromptTokens(
            [new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, "hi") { AuthorName = "bob" }], null, "gpt-4");
        Assert.Equal(expected, JsonDocument.Parse(output).RootElement.GetProperty("tokens").GetInt32());
        Assert.Equal("cl100k_base", JsonDocument.Parse(output).RootElement.GetProperty("encoding").GetString());
    }

    [Fact]
    public async Task Cost_Json_PrintsEveryBreakdownFieldAndTotal()
    {
        var (code, output, _) = await Run("", "cost", "--model", "openai/gpt-4o-2024-08-06", "--input", "10000", "--cached-input", "4000", "--output", "1000", "--json");

        Assert.Equal(0, code);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(0.015m, root.GetProperty("input").GetDecimal());
        Assert.Equal(0.005m, root.GetProperty("cached_input").GetDecimal());
        Assert.Equal(0m, root.GetProperty("cache_write").GetDecimal());
        Assert.Equal(0.01m, root.GetProperty("output").GetDecimal());
        Assert.Equal(0m, root.GetProperty("reasoning").GetDecimal());
        Assert.Equal(0.03m, root.GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task Cost_UsagesFile_OneLineEachWithErrorsInline()
    {
        var path = Path.GetTempFileName();
        await File.WriteAllLinesAsync(path,
        [
            """{"model":"claude-sonnet-4","input_tokens":61000,"cached_input_tokens":50000,"cache_write_tokens":10000,"output_tokens":2000}""",
            """{"model":"no-such-model","input_tokens":1,"output_tokens":1}""",
            """{"model":"o3","input_tokens":2000,"output_tokens":5000,"reasoning_tokens":4000}""",
        ]);

        var (code, output, _) = await Run("", "cost", "--usages", path, "--json");
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();

        Assert.Equal(1, code);
        Assert.Equal(3, lines.Length);
        Assert.Equal(0.0855m, lines[0].GetProperty("total").GetDecimal());
        Assert.Contains("no-such-model", lines[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0.032m, lines[2].GetProperty("reasoning").GetDecimal());
    }

    [Fact]
    public async Task Cost_CatalogFile_PricesModelsOnlyInThatFile()
    {
        var (code, output, _) = await Run("", "cost", "--model", "groq/llama-3.3-70b-versatile", "--input", "1000000", "--output", "0", "--json",
            "--catalog", TestPaths.TestData("litellm-sample.json"));

        Assert.Equal(0, code);
        Assert.Equal(0.59m, JsonDocument.Parse(output).RootElement.GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task Models_Json_ListsBuiltInCatalog()
    {
        var (code, output, _) = await Run("", "models", "--json");

        Assert.Equal(0, code);
        Assert.Equal(PriceCatalog.BuiltIn.Models.Count, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Calibrate_Json_PrintsContractFields()
    {
        var (code, output, _) = await Run("", "calibrate", "--pairs", TestPaths.TestData("semantic-cache-pairs.jsonl"), "--embedder", "hashing", "--target-precision", "0.95", "--json");

        Assert.Equal(0, code);
        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(2548, root.GetProperty("pairs").GetInt32());
        var first = root.GetProperty("thresholds")[0];
        Assert.Equal(0.5, first.GetProperty("threshold").GetDouble());
        Assert.True(first.TryGetProperty("precision", out _) && first.TryGetProperty("recall", out _) && first.TryGetProperty("f1", out _));
        Assert.Equal(JsonValueKind.Number, root.GetProperty("recommended").ValueKind);
        Assert.Equal(0.8, root.GetProperty("default_threshold").GetDouble(), 4);
    }

    [Fact]
    public async Task Classify_JsonPrompts_OneLinePerInputLineAndMixOnStderr()
    {
        var (code, output, error) = await Run("", "classify", "--prompts", TestPaths.TestData("routing-prompts.jsonl"), "--json");

        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(File.ReadLines(TestPaths.TestData("routing-prompts.jsonl")).Count(l => l.Trim().Length > 0), lines.Length);
        Assert.Equal("Small", lines[0].GetProperty("tier").GetString());
        Assert.Equal(JsonValueKind.Number, lines[0].GetProperty("score").ValueKind);
        Assert.Equal(JsonValueKind.Array, lines[0].GetProperty("signals").ValueKind);
        Assert.Equal(12, JsonDocument.Parse(error).RootElement.GetProperty("mix").GetProperty("Reasoning").GetInt32());
    }

    [Theory]
    [InlineData("classify")]
    [InlineData("classify", "--prompts", "/no/such/prompts.jsonl")]
    [InlineData("calibrate")]
    [InlineData("calibrate", "--pairs", "/no/such/pairs.jsonl")]
    [InlineData("calibrate", "--pairs", "x.jsonl", "--embedder", "openai")]
    [InlineData("calibrate", "--pairs", "x.jsonl", "--target-precision", "2")]
    [InlineData("cost", "--model", "gpt-4o")]
    [InlineData("cost", "--model", "gpt-4o", "--input", "ten", "--output", "1")]
    [InlineData("count")]
    [InlineData("count", "--model", "gpt-4o", "--file", "/no/such/file.txt")]
    [InlineData("count", "--model", "gpt-4o", "--bogus", "1")]
    [InlineData("explode")]
    [InlineData("cost", "--model", "gpt-4o", "--input", "10", "--output", "5", "--reasoning", "9")]
    [InlineData("models", "--catalog", "/no/such/catalog.json")]
    public async Task Run_BadArguments_ExitsTwoWithOneLine(params string[] args)
    {
        var (code, _, error) = await Run("", args);

        Assert.Equal(2, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("tokengov: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_UnknownModel_ExitsTwoWithOneLine()
    {
        var (code, _, error) = await Run("", "cost", "--model", "nope", "--input", "1", "--output", "1");

        Assert.Equal(2, code);
        Assert.Contains("'nope'", error, StringComparison.Ordinal);
    }

    // The root help as it was before the commands moved into one file each, plus prices, spend, report and route: the text is a contract.
    private const string RootHelp = """
        tokengov — token counts and costs from the TokenGovernor library

          tokengov count --model M [--file F] [--chat] [--json]
              Tokens of the text in F (or stdin). --chat reads {"messages":[{"role","content","name"?}],"tools":[...]}
              and counts the prompt as the provider bills it.
          tokengov cost --model M --input N --output N [--cached-input N] [--cache-write N] [--cache-write-1h N] [--reasoning N]
                        [--web-searches N] [--service-tier T] [--at yyyy-MM-dd] [--json]
          tokengov cost --usages F.jsonl [--json]
              One line per usage {"model","input_tokens"|"prompt_tokens","output_tokens"|"completion_tokens","cached_input_tokens"?,
              "cache_write_tokens"?,"reasoning_tokens"?}; input counts every prompt token, output includes reasoning.
          tokengov cost --raw F.jsonl [--json]
              One line per provider usage {"model","format","usage":{...as the API returned it},"service_tier"?,"timestamp"?};
              format: openai-chat, openai-responses, anthropic, gemini, mistral, deepseek, openrouter, bedrock, ollama, auto.
              F may be - (stdin). --json: exactly one JSON line per input line, {"model","total",...} or {"model","error"};
              the summary goes to stderr. Exit code 1 when any line could not be priced.
          tokengov models [--provider P] [--json]
              The price catalog (USD per million tokens): every model with its source, origin table and date, the
              catalog's date and whether it is stale.
          tokengov prices import --from F --out prices.json
              Converts a price file (LiteLLM model_prices_and_context_window.json, genai-prices data.json, or this format)
              into the library's format, with every rate, dated price, service tier and match rule it carries. Load the result
              with --catalog, TokenGovernor:PriceFiles or PriceCatalogBuilder.AddPriceFile.

          tokengov calibrate --pairs F.jsonl [--embedder hashing|minilm] [--target-precision 0.95] [--json]
              Precision, recall and F1 of the semantic cache's decision (similarity, then the guard) at thresholds 0.50-0.99
              on pairs {"a","b","label"} (1 = same meaning) or {"a","b","score"} (STS 0-5: >= 4 same, <= 3 different, the
              middle dropped), the lowest threshold reaching the target, and default_threshold: what UseSemanticCache uses
              with that embedder. --embedder minilm (default: all-MiniLM-L6-v2, local) or hashing.

          tokengov classify --prompts F.jsonl [--router router.json [--embedder E] [--threshold T | --strong-share S]] [--json]
              The tier routing would pick for each line {"prompt": "..."} or {"messages": [...]}: one JSON line
              {"tier","score","signals"} per input line, score rising with the need for a stronger tier; then the traffic
              mix per tier (on stderr with --json, so stdout has exactly one line per input line). Without --router the
              default rule classifier decides among Small, Medium, Large and Reasoning; with it, the learned router
              written by route train, at its stored operating point or at --threshold T (a score) or --strong-share S
              (the share of training calls sent up).

          tokengov replay --log F.jsonl --config governor.json [--compare other.json] [--json]
              Runs recorded traffic (one call per line: time, scope, model, messages or inputTokens, usage; see
              UseTrafficRecording) through the configuration's budgets, caches and routing against a provider that returns
              the recorded usage, and reports spend, savings by mechanism (cache, routing, degradations, refusals, other:
              they add up to the total), degradations, refusals and the tier mix beside the recording. --compare runs a
              second configuration on the same log and prints both side by side.
              governor.json: {"TokenGovernor": {"Pipeline": {"ResponseCache": true, "ModelRouting": true, ...},
              "Budgets": {"Policies": [...], "Ladder": [...]}, "Routing": {"Tiers": [...], "RouterFile": "router.json"},
              "ResponseCache": {"SimilarityThreshold": 0.9, "Embedder": "minilm"}, "LoopGuard": {"MaxSteps": 20}}}

          tokengov forecast (--history F.csv | --db F [--since 90d | --from D --to D]) [--months 3,6,12] [--scenarios name=low-high,...] [--json]
              Daily spend per feature → run-rate and the spend of the next months under growth scenarios (default
              conservative=1.3, expected=1.8-2.2, aggressive=2.5-3: spend multiplies by that much over 12 months), and cost
              per outcome where outcomes were recorded. --history: CSV (RFC 4180; quoted fields may hold commas) with
              date,feature,spend[,outcomes[,outcome_kind]], or a header row naming those columns in any order. --db: the
              spend store's daily spend per feature (a SQLite file or a PostgreSQL connection string). Outcomes of different
              kinds are never added up. Warns on stderr when the history is short for the horizon.

          tokengov spend --db F [--by tenant,feature,model,day] [--since 7d | --from D --to D] [--json]
              Spend recorded in a spend store (F: a SQLite file such as governance.db, or a PostgreSQL connection string
              "Host=…;Database=…;Username=…"), summed per group. --since Nd|Nh|Nw counts back from now; --from/--to take
              dates (yyyy-MM-dd, UTC; --to's whole day is included) or ISO 8601 times. --json: one line per group
              {"tenant"?,"feature"?,"model"?,"day"?,"calls","cost","cost_avoided","input_tokens","output_tokens"}.

          tokengov report --db F --out report.html [--since 7d | --from D --to D] [--title T]
              The self-contained HTML report (spend over time, by tenant, feature and model, budget use with degradations
              and refusals, savings by mechanism) built from the calls in a spend store (--db as for spend).

          tokengov route train --labels F.jsonl --out router.json [--embedder minilm|hashing|none] [--tiers Small,Large]
                               [--target-quality 0.95 | --max-strong-share S] [--seed N] [--l2 X] [--iterations N] [--no-topic-prior] [--json]
              Trains a router (logistic regression on hashed words and word pairs, the default classifier's rule signals and
              the embedding, with an embedder also a tiny MLP on the rule signals and embedding, blended with a topic prior:
              the mean gain of the training requests' word clusters; --no-topic-prior leaves it out) from labelled lines {"prompt"|"messages","weak_correct":bool,"strong_correct":bool} or
              {"prompt"|"messages","quality":{"<tier>":0..1}}. The operating point (the score above which a call goes to
              the stronger tier) is chosen on held-out folds to keep the target share of the strongest tier's quality with
              as few strong calls as it can, or to stay within --max-strong-share; it is stored in the file. --tiers names
              the two-tier form's weak and strong tier (default Small,Large) or orders the quality form's tiers.
          tokengov route eval --labels F.jsonl [--split random|subject] [--train-share 0.6] [--folds 5] [--seed N]
                              [--embedder none|hashing|minilm] [--embedding-cache F] [--l2 X] [--iterations N] [--no-topic-prior] [--json]
              Trains on part of the labels and scores the rest: APGR (mean over strong shares 0-100% of the quality gap
              closed), the strong share needed to keep 95% of strong quality, and the trained operating point's share and
              quality on the held-out part, for the learned router, the default classifier and random routing (and, on a
              random split with "subject" fields, routing by subject alone). --split subject holds out whole subjects.

          --catalog F   load a price file (LiteLLM, genai-prices or prices-import JSON) over the built-in catalog (any command)
        Exit codes: 0 success, 1 some --usages/--raw line could not be priced (it gets an "error" field), 2 bad arguments or unreadable input.
        """;

    [Fact]
    public async Task Help_Root_ListsEveryCommand()
    {
        var (code, output, _) = await Run("", "--help");

        Assert.Equal(0, code);
        Assert.Equal(RootHelp + Environment.NewLine, output);
    }

    [Fact]
    public async Task Help_NoArguments_PrintsHelpAndExitsTwo()
    {
        var (code, output, _) = await Run("");

        Assert.Equal(2, code);
        Assert.Equal(RootHelp + Environment.NewLine, output);
    }

    [Theory]
    [InlineData("count", "--help")]
    [InlineData("cost", "-h")]
    [InlineData("models", "--json", "--help")]
    [InlineData("calibrate", "--help")]
    [InlineData("classify", "--help")]
    [InlineData("replay", "--log", "x.jsonl", "--help")]
    [InlineData("forecast", "--help")]
    [InlineData("route", "--help")]
    [InlineData("help", "count")]
    public async Task Help_PerCommand_PrintsOnlyThatCommandAndExitsZero(params string[] args)
    {
        var name = args[0] == "help" ? args[1] : args[0];

        var (code, output, error) = await Run("", args);

        Assert.Equal(0, code);
        Assert.Empty(error);
        Assert.StartsWith($"  tokengov {name} ", output, StringComparison.Ordinal);
        Assert.Contains("--catalog F", output, StringComparison.Ordinal);
        foreach (var other in new[] { "count", "cost", "models", "prices", "calibrate", "classify", "replay", "forecast", "spend", "report", "route" }.Where(c => c != name))
        {
            Assert.DoesNotContain($"tokengov {other} ", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Help_UnknownCommand_ExitsTwoWithOneLine()
    {
        var (code, _, error) = await Run("", "help", "explode");

        Assert.Equal(2, code);
        Assert.Equal("tokengov: unknown command 'explode'; use one of: count, cost, models, prices, calibrate, classify, replay, forecast, spend, report, route" + Environment.NewLine, error);
    }

    [Theory]
    [InlineData("{ \"TokenGovernor\": { \"Budgets\": { \"Policies\": [ { \"Name\": \"p\", \"Level\": \"Tenant\", \"CostLimit\": 1, \"Window\": \"Fortnight\" } ] } } }")]
    [InlineData("{ \"TokenGovernor\": { \"Budgets\": { \"Policies\": [ { \"Name\": \"p\", \"Level\": \"Tenant\", \"CostLimit\": -1, \"Window\": \"Day\" } ] } } }")]
    [InlineData("{ \"TokenGovernor\": { \"Budgets\": ")]
    [InlineData("{ \"TokenGovernor\": { \"Budgets\": { \"Policies\": [ { \"Name\": \"p\", \"Level\": \"Planet\", \"CostLimit\": 1 } ] } } }")]
    [InlineData("{ \"TokenGovernor\": { \"Pipeline\": { \"ModelRouting\": true }, \"Routing\": { \"MaxEscalaions\": 0, \"Tiers\": [ { \"Name\": \"Small\", \"Models\": [ \"gpt-4o-mini\" ] } ] } } }")]
    [InlineData("{ \"TokenGovernor\": { \"Pipeline\": { \"ModelRouting\": true }, \"Routing\": { \"Tiers\": [ { \"Name\": \"Small\" } ] } } }")]
    [InlineData("{ \"TokenGovernor\": { \"Pipeline\": { \"ModelRouting\": true } } }")]
    public async Task Replay_BadConfiguration_ExitsTwoWithOneLine(string config)
    {
        var (code, error) = await Replay(config);

        Assert.Equal(2, code);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("tokengov: ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_EverySectionItsHelpShows_IsAccepted()
    {
        // The shape replay --help documents: layers, budgets with a ladder, routing tiers and settings, cache and loop-guard settings.
        const string config = """
            { "TokenGovernor": {
                "Pipeline": { "ResponseCache": true, "ModelRouting": true, "Budgets": true, "LoopGuard": true },
                "Budgets": { "Policies": [ { "Name": "t", "Level": "Tenant", "CostLimit": 1 } ], "Ladder": [ { "Step": "refuse", "At": 1.0 } ] },
                "Routing": { "Tiers": [ { "Name": "Small", "Models": [ "gpt-4o-mini" ] }, { "Name": "Large", "Models": [ "gpt-4.1" ] } ], "MaxEscalations": 0 },
                "ResponseCache": { "SimilarityThreshold": 0.9 },
                "LoopGuard": { "MaxSteps": 20 } } }
            """;

        var (code, error) = await Replay(config);

        Assert.True(code == 0, error);
    }

    private static async Task<(int Code, string Error)> Replay(string config)
    {
        var dir = Directory.CreateTempSubdirectory("tg-cli-");
        try
        {
            var logPath = Path.Combine(dir.FullName, "traffic.jsonl");
            var configPath = Path.Combine(dir.FullName, "governor.json");
            await File.WriteAllTextAsync(logPath, TrafficLog.Serialize(new TrafficLogEntry
            {
                Time = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero),
                Scope = new GovernanceScope { Tenant = "acme" },
                ModelId = "gpt-4o",
                InputTokens = 100,
                Usage = new TokenUsage(100, 20, 0, 0, 0),
            }) + "\n");
            await File.WriteAllTextAsync(configPath, config);

            var (code, _, error) = await Run("", "replay", "--log", logPath, "--config", configPath);
            return (code, error);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
