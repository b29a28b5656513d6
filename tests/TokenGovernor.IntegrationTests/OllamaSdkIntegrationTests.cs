using OllamaSharp;

namespace TokenGovernor.IntegrationTests;

/// <summary>OllamaSharp against a local Ollama-protocol server: a local model priced at the user's own rate, streaming and not,
/// metered the same as <c>tokengov cost --raw</c> prices the server's final chunk.</summary>
public class OllamaSdkIntegrationTests
{
    private const string Model = "llama3.2";

    // A self-hosted model has no public price: the user states one (here $0.10 / $0.40 per MTok of GPU time).
    private static readonly PriceCatalog s_catalog = PriceCatalog.BuiltIn.ToBuilder().Add(new ModelPrice(Model, 0.1m, 0.4m) { Source = "own GPU cost" }).Build();

    private static IChatClient Metered(FakeOllamaServer server) =>
        ((IChatClient)new OllamaApiClient(server.Endpoint, Model)).AsBuilder().UseCostMetering(s_catalog).Build();

    private static async Task<string> CatalogFileAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tg-ollama-prices-{Guid.NewGuid():N}.json");
        await using var stream = File.Create(path);
        s_catalog.WriteJson(stream);
        return path;
    }

    [Fact]
    public async Task GetResponse_PromptAndEvalCounts_MeteredLikeTheCliPricesTheRawChunk()
    {
        await using var server = await FakeOllamaServer.StartAsync();

        var response = await Metered(server).GetResponseAsync("Say hello.");
        var record = response.GetGovernance()!;
        var catalog = await CatalogFileAsync();

        Assert.Equal(new TokenUsage(26, 0, 0, 298, 0), record.Usage);
        Assert.Equal(0.0001218m, record.Cost.Total); // 26 × $0.10/M + 298 × $0.40/M
        Assert.Equal(record.Cost.Total, await ProviderSdkPricing.CliRawTotalAsync(Model, "ollama", server.Finals[^1], catalog));
        File.Delete(catalog);
    }

    [Fact]
    public async Task GetStreamingResponse_FinalChunkCounts_MeteredLikeNonStreaming()
    {
        await using var server = await FakeOllamaServer.StartAsync();

        var text = "";
        GovernanceRecord? record = null;
        await foreach (var update in Metered(server).GetStreamingResponseAsync("Say hello."))
        {
            text += update.Text;
            record = update.GetGovernance() ?? record;
        }

        Assert.Equal("Hello from llama.", text);
        Assert.Equal(0.0001218m, record!.Cost.Total);
        Assert.Equal("ollama", ((IChatClient)new OllamaApiClient(server.Endpoint, Model)).GetService<ChatClientMetadata>()!.ProviderName);
    }
}
