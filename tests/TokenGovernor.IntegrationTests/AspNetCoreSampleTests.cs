using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc.Testing;

namespace TokenGovernor.IntegrationTests;

/// <summary>The hosting sample, booted from its appsettings.json in the test process (offline provider).</summary>
public class AspNetCoreSampleTests : IClassFixture<WebApplicationFactory<Program>>
{
    private readonly WebApplicationFactory<Program> _factory;

    public AspNetCoreSampleTests(WebApplicationFactory<Program> factory)
    {
        _factory = factory;
    }

    [Fact]
    public async Task Chat_ThenSpend_ReportsMeteredCostCacheHitAndBudget()
    {
        using var http = _factory.CreateClient();
        var ask = new { message = "Where is my order?", tenant = "acme", feature = "support" };

        var first = await (await http.PostAsJsonAsync("/chat", ask)).Content.ReadFromJsonAsync<JsonElement>();
        var second = await (await http.PostAsJsonAsync("/chat", ask)).Content.ReadFromJsonAsync<JsonElement>();
        var spend = await http.GetFromJsonAsync<JsonElement>("/spend?tenant=acme");

        Assert.True(first.GetProperty("costUsd").GetDecimal() > 0);
        Assert.Equal("Exact", second.GetProperty("cache").GetString());
        Assert.Equal(first.GetProperty("costUsd").GetDecimal(), spend.GetProperty("totalUsd").GetDecimal());
        var budget = spend.GetProperty("budgets").EnumerateArray().Single(b => b.GetProperty("policy").GetString() == "tenant-daily");
        Assert.Equal(5.00m, budget.GetProperty("limitUsd").GetDecimal());
        Assert.Equal(first.GetProperty("costUsd").GetDecimal(), budget.GetProperty("spentUsd").GetDecimal());
    }

    [Fact]
    public async Task Chat_MissingMessage_IsABadRequest()
    {
        using var http = _factory.CreateClient();

        var response = await http.PostAsync("/chat", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
