using System.Text.Json;
using TokenGovernor.Cli;

namespace TokenGovernor.Tests.Cli;

/// <summary><c>tokengov cost --raw</c>, <c>--usages</c> from stdin, <c>prices import</c> and <c>models</c>.</summary>
public class PriceCommandsTests
{
    private const string RawLines = """
        {"model":"claude-sonnet-4-5-20250929","format":"anthropic","usage":{"input_tokens":50,"cache_creation_input_tokens":30000,"cache_read_input_tokens":100000,"cache_creation":{"ephemeral_5m_input_tokens":10000,"ephemeral_1h_input_tokens":20000},"output_tokens":1000}}

        {"model":"not-a-real-model-xyz","format":"openai-chat","usage":{"prompt_tokens":1,"completion_tokens":1}}
        {"model":"gpt-5","format":"openai-chat","service_tier":"flex","usage":{"prompt_tokens":2000,"completion_tokens":1000,"prompt_tokens_details":{"cached_tokens":1000}}}
        """;

    private static async Task<(int Code, string Out, string Err)> Run(string stdin, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(args, new StringReader(stdin), output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static JsonElement[] JsonLines(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];

    [Fact]
    public async Task CostRaw_JsonFromStdin_OneLinePerInputLineSummaryOnStderrExitOne()
    {
        var (code, output, error) = await Run(RawLines, "cost", "--raw", "-", "--json");

        var lines = JsonLines(output);
        Assert.Equal(1, code);
        Assert.Equal(3, lines.Length);
        Assert.Equal(0.20265m, lines[0].GetProperty("total").GetDecimal());
        Assert.Equal(0.12m, lines[0].GetProperty("cache_write_1h").GetDecimal());
        Assert.True(lines[1].TryGetProperty("error", out _));
        Assert.Equal(0.0056875m, lines[2].GetProperty("total").GetDecimal());
        Assert.Equal("flex", lines[2].GetProperty("service_tier").GetString());
        Assert.Contains("2 priced, 1 not priced", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CostRaw_AllPriced_ExitsZero()
    {
        var (code, _, _) = await Run("""{"model":"gpt-4o","format":"openai-chat","usage":{"prompt_tokens":10,"completion_tokens":5}}""", "cost", "--raw", "-", "--json");

        Assert.Equal(0, code);
    }

    [Fact]
    public async Task CostRaw_UnknownModel_NamesNearestIdsAndCatalogHint()
    {
        var (_, output, _) = await Run("""{"model":"claude-sonet-4-5","format":"anthropic","usage":{"input_tokens":1,"output_tokens":1}}""", "cost", "--raw", "-", "--json");

        var error = JsonLines(output)[0].GetProperty("error").GetString()!;
        Assert.Contains("claude-sonnet-4-5", error, StringComparison.Ordinal);
        Assert.Contains("--catalog", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CostRaw_TextMode_OneLineEachThenTotal()
    {
        var (code, output, _) = await Run(RawLines, "cost", "--raw", "-");

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1, code);
        Assert.Equal(4, lines.Length);
        Assert.Contains("total $0.2083375", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task CostRaw_WholeResponseBody_ReadsUsageAndModelFromIt()
    {
        const string line = """{"format":"openai-chat","response":{"model":"gpt-4o-2024-08-06","usage":{"prompt_tokens":1000000,"completion_tokens":0}}}""";

        var (code, output, _) = await Run(line, "cost", "--raw", "-", "--json");

        Assert.Equal(0, code);
        Assert.Equal(2.5m, JsonLines(output)[0].GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task CostRaw_TimestampBeforePriceChange_PricedAtOldRate()
    {
        const string line = """{"model":"o3","format":"openai-responses","timestamp":"2025-05-01T00:00:00Z","usage":{"input_tokens":1000000,"output_tokens":0}}""";

        var (_, output, _) = await Run(line, "cost", "--raw", "-", "--json");

        Assert.Equal(10m, JsonLines(output)[0].GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task CostRaw_OpenRouterReportedCost_IsTheTotal()
    {
        const string line = """{"model":"openrouter/some-lab/unlisted-model","format":"openrouter","usage":{"prompt_tokens":100,"completion_tokens":10,"cost":0.00042}}""";

        var (code, output, _) = await Run(line, "cost", "--raw", "-", "--json");

        Assert.Equal(0, code);
        Assert.Equal(0.00042m, JsonLines(output)[0].GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task CostUsages_OpenAIStyleNamesFromStdin_Priced()
    {
        var (code, output, _) = await Run("""{"model":"gpt-4o","prompt_tokens":1000000,"completion_tokens":100000}""", "cost", "--usages", "-", "--json");

        Assert.Equal(0, code);
        Assert.Equal(3.5m, JsonLines(output)[0].GetProperty("total").GetDecimal());
    }

    [Fact]
    public async Task CostRaw_UnknownFormat_LineErrorNamesFormats()
    {
        var (code, output, _) = await Run("""{"model":"gpt-4o","format":"smoke-signals","usage":{}}""", "cost", "--raw", "-", "--json");

        Assert.Equal(1, code);
        Assert.Contains("openai-chat", JsonLines(output)[0].GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PricesImport_LiteLlmFile_PricesTheSameAsTheOriginal()
    {
        var dir = Directory.CreateTempSubdirectory("tg-prices-");
        try
        {
            var outPath = Path.Combine(dir.FullName, "prices.json");
            var (code, _, error) = await Run("", "prices", "import", "--from", TestPaths.TestData("litellm-sample.json"), "--out", outPath);
            Assert.Equal(0, code);
            Assert.Contains("written to", error, StringComparison.Ordinal);

            var original = new PriceCatalogBuilder().AddLiteLlmFile(TestPaths.TestData("litellm-sample.json")).Build();
            var imported = new PriceCatalogBuilder().AddPriceFile(outPath).Build();
            Assert.Equal(original.Models.Count, imported.Models.Count);
            var usage = new TokenUsage(300_000, 20_000, 1_000, 2_000, 500);
            foreach (var m in original.Models)
            {
                Assert.Equal(CostCalculator.Calculate(usage, m).Total, CostCalculator.Calculate(usage, imported.GetPrice(m.ModelId)).Total);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task PricesImport_GenAiPricesFile_KeepsDatedPricesAndMatchRules()
    {
        var dir = Directory.CreateTempSubdirectory("tg-prices-");
        try
        {
            var from = Path.Combine(dir.FullName, "data.json");
            await File.WriteAllTextAsync(from, """
                [{"id":"acme","name":"Acme","pricing_urls":["https://acme.example/pricing"],"model_match":{"starts_with":"acme-"},
                  "models":[{"id":"acme-1","match":{"starts_with":"acme-1"},"prices":[
                    {"prices":{"input_mtok":10,"output_mtok":40}},
                    {"constraint":{"start_date":"2025-06-10"},"prices":{"input_mtok":2,"output_mtok":{"base":8,"tiers":[{"start":200000,"price":12}]}}}]}]}]
                """);
            var outPath = Path.Combine(dir.FullName, "prices.json");

            var (code, _, _) = await Run("", "prices", "import", "--from", from, "--out", outPath);
            var catalog = new PriceCatalogBuilder().AddPriceFile(outPath).Build();
            var price = catalog.GetPrice("acme-1-2025-07-01");

            Assert.Equal(0, code);
            Assert.Equal(2m, price.InputPerMillion);
            Assert.Equal(10m, price.PriceAt(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero)).InputPerMillion);
            Assert.Equal(12m, price.LongContext!.OutputPerMillion);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Prices_NoSubcommand_ExitsTwoNamingImport()
    {
        var (code, _, error) = await Run("", "prices", "--from", "x");

        Assert.Equal(2, code);
        Assert.Contains("import", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Models_Text_ShowsCatalogDateOriginAndSource()
    {
        var (code, output, _) = await Run("", "models", "--provider", "anthropic");

        Assert.Equal(0, code);
        Assert.Contains("catalog as of 2026-09-23", output, StringComparison.Ordinal);
        Assert.Contains("genai-prices 0.1.8", output, StringComparison.Ordinal);
        Assert.Contains("claude-sonnet-4-5", output, StringComparison.Ordinal);
    }
}
