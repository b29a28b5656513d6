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

        var (code, output, _) = await Run("", "cost", "--usages", path);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();

        Assert.Equal(0, code);
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
    public async Task Classify_Prompts_PrintsTierScoreSignalsThenMix()
    {
        var (code, output, _) = await Run("", "classify", "--prompts", TestPaths.TestData("routing-prompts.jsonl"), "--json");

        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(49, lines.Length);
        Assert.Equal("Small", lines[0].GetProperty("tier").GetString());
        Assert.Equal(JsonValueKind.Number, lines[0].GetProperty("score").ValueKind);
        Assert.Equal(JsonValueKind.Array, lines[0].GetProperty("signals").ValueKind);
        Assert.Equal(12, lines[^1].GetProperty("mix").GetProperty("Reasoning").GetInt32());
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
}
