extern alias tokengov;

using System.Text.Json;
using System.Text.Json.Nodes;
using tokengov::TokenGovernor.Cli;

namespace TokenGovernor.IntegrationTests;

/// <summary>Prices one raw usage block with <c>tokengov cost --raw … --json</c>, in process, as a user would from a terminal.</summary>
internal static class ProviderSdkPricing
{
    public static async Task<decimal> CliRawTotalAsync(string model, string format, string usageJson, string? catalogPath = null)
    {
        var line = new JsonObject { ["model"] = model, ["format"] = format, ["usage"] = JsonNode.Parse(usageJson) }.ToJsonString();
        string[] args = catalogPath is null ? ["cost", "--raw", "-", "--json"] : ["cost", "--raw", "-", "--json", "--catalog", catalogPath];
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await CliApp.RunAsync(args, new StringReader(line), output, error);
        Assert.True(code == 0, $"tokengov exited {code}: {output} {error}");
        return JsonDocument.Parse(output.ToString()).RootElement.GetProperty("total").GetDecimal();
    }
}
