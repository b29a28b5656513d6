using System.Text.Json.Nodes;
using Anthropic;
using Anthropic.Core;

namespace TokenGovernor.IntegrationTests;

/// <summary>
/// The official Anthropic SDK (its <c>IChatClient</c>) against a local Messages-API server, metered by TokenGovernor: prompt-cache
/// reads, cache writes by TTL and web searches are priced to the cent, and the same usage block priced by <c>tokengov cost --raw</c>
/// gives the same figure.
/// </summary>
public class AnthropicSdkIntegrationTests
{
    private const string Model = "claude-sonnet-4-5-20250929";

    private static IChatClient Metered(FakeAnthropicServer server) =>
        new AnthropicClient(new ClientOptions { ApiKey = "test-key", BaseUrl = server.BaseUrl, MaxRetries = 0 })
            .AsIChatClient(Model, 1024)
            .AsBuilder()
            .UseCostMetering(PriceCatalog.BuiltIn)
            .Build();

    private static JsonObject Usage(string json) => JsonNode.Parse(json)!.AsObject();

    [Fact]
    public async Task GetResponse_CacheWritesByTtlAndWebSearch_MeteredFromTheRawMessageToTheCent()
    {
        await using var server = await FakeAnthropicServer.StartAsync();
        server.Usage = Usage("""
            {"input_tokens":50,"cache_creation_input_tokens":30000,"cache_read_input_tokens":100000,
             "cache_creation":{"ephemeral_5m_input_tokens":10000,"ephemeral_1h_input_tokens":20000},
             "output_tokens":1000,"server_tool_use":{"web_search_requests":2,"web_fetch_requests":0},"service_tier":"standard"}
            """);

        var response = await Metered(server).GetResponseAsync("What is the capital of France?");
        var record = response.GetGovernance()!;

        // $3 input, $3.75 5-minute write, $6 1-hour write, $0.30 cache read, $15 output per MTok; $10 per 1,000 searches.
        Assert.Equal("Paris is the capital of France.", response.Text);
        Assert.Equal(0.12m, record.Cost.CacheWrite1h);
        Assert.Equal(0.02m, record.Cost.WebSearch);
        Assert.Equal(0.22265m, record.Cost.Total);
        Assert.Equal(record.Cost.Total, await ProviderSdkPricing.CliRawTotalAsync(Model, "anthropic", server.SentUsages[0]));
    }

    [Fact]
    public async Task GetStreamingResponse_CacheReadsAndWrites_MeteredLikeItsRawBlock()
    {
        await using var server = await FakeAnthropicServer.StartAsync();
        server.Usage = Usage("""
            {"input_tokens":50,"cache_creation_input_tokens":10000,"cache_read_input_tokens":100000,
             "cache_creation":{"ephemeral_5m_input_tokens":10000,"ephemeral_1h_input_tokens":0},"output_tokens":1000,"service_tier":"standard"}
            """);

        var text = "";
        GovernanceRecord? record = null;
        await foreach (var update in Metered(server).GetStreamingResponseAsync("What is the capital of France?"))
        {
            text += update.Text;
            record = update.GetGovernance() ?? record;
        }

        Assert.Equal("Paris is the capital of France.", text);
        Assert.NotNull(record);
        Assert.Equal(new TokenUsage(50, 100_000, 10_000, 1000, 0), record.Usage);
        Assert.Equal(0.08265m, record.Cost.Total);
        Assert.Equal(record.Cost.Total, await ProviderSdkPricing.CliRawTotalAsync(Model, "anthropic", server.SentUsages[0]));
    }

    [Fact]
    public async Task GetStreamingResponse_OneHourCacheWrites_MeteredLikeTheSameNonStreamedResponse()
    {
        await using var server = await FakeAnthropicServer.StartAsync();
        server.Usage = Usage("""
            {"input_tokens":50,"cache_creation_input_tokens":30000,"cache_read_input_tokens":100000,
             "cache_creation":{"ephemeral_5m_input_tokens":10000,"ephemeral_1h_input_tokens":20000},
             "output_tokens":1000,"server_tool_use":{"web_search_requests":2,"web_fetch_requests":0},"service_tier":"standard"}
            """);
        var client = Metered(server);
        var whole = (await client.GetResponseAsync("What is the capital of France?")).GetGovernance()!;

        GovernanceRecord? streamed = null;
        await foreach (var update in client.GetStreamingResponseAsync("What is the capital of France?"))
        {
            streamed = update.GetGovernance() ?? streamed;
        }

        // 20,000 one-hour writes at $6/MTok ($0.12), not at the 5-minute $3.75 ($0.075).
        Assert.NotNull(streamed);
        Assert.Equal(0.12m, streamed.Cost.CacheWrite1h);
        Assert.Equal(0.02m, streamed.Cost.WebSearch);
        Assert.Equal(whole.Cost.Total, streamed.Cost.Total);
        Assert.Equal(streamed.Cost.Total, await ProviderSdkPricing.CliRawTotalAsync(Model, "anthropic", server.SentUsages[1]));
    }

    [Fact]
    public async Task Metadata_AnthropicSdk_NamesItsProviderSoNothingIsSetByHand()
    {
        await using var server = await FakeAnthropicServer.StartAsync();

        var metadata = Metered(server).GetService<ChatClientMetadata>();

        Assert.Equal("anthropic", metadata!.ProviderName);
    }
}
