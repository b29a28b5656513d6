using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using AspNetCoreChat;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace TokenGovernor.IntegrationTests;

/// <summary>The hosting sample, booted from its appsettings.json in the test process (offline provider), each test on its own
/// SQLite file (ledger and spend store).</summary>
public sealed class AspNetCoreSampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-sample-").FullName;

    private string Database => Path.Combine(_dir, "governance.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private WebApplicationFactory<Program> Start(params (string Key, string Value)[] settings) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("Governance:Database", Database);
            foreach (var (key, value) in settings)
            {
                b.UseSetting(key, value);
            }
        });

    private static async Task<JsonElement> ChatAsync(HttpClient http, string tenant, string message, string feature = "support")
    {
        var response = await http.PostAsJsonAsync("/chat", new { message, tenant, feature });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task Chat_ThenSpend_ReportsMeteredCostCacheHitAndBudget()
    {
        await using var factory = Start();
        using var http = factory.CreateClient();

        var first = await ChatAsync(http, "acme", "Where is my order?");
        var second = await ChatAsync(http, "acme", "Where is my order?");
        var spend = await http.GetFromJsonAsync<JsonElement>("/spend?tenant=acme");

        Assert.True(first.GetProperty("costUsd").GetDecimal() > 0);
        Assert.Equal("Exact", second.GetProperty("cache").GetString());
        Assert.Equal(first.GetProperty("costUsd").GetDecimal(), spend.GetProperty("totalUsd").GetDecimal());
        Assert.Equal(2, spend.GetProperty("calls").GetInt64());
        Assert.True(spend.GetProperty("costAvoidedUsd").GetDecimal() > 0);
        var budget = spend.GetProperty("budgets").EnumerateArray().Single(b => b.GetProperty("policy").GetString() == "tenant-daily");
        Assert.Equal(5.00m, budget.GetProperty("limitUsd").GetDecimal());
        Assert.Equal(first.GetProperty("costUsd").GetDecimal(), budget.GetProperty("spentUsd").GetDecimal());
    }

    [Fact]
    public async Task Spend_Tenant_CountsOnlyThatTenant()
    {
        await using var factory = Start();
        using var http = factory.CreateClient();
        var acme = (await ChatAsync(http, "acme", "Where is my order?")).GetProperty("costUsd").GetDecimal();
        var globex = (await ChatAsync(http, "globex", "Please explain the whole refund policy for orders shipped abroad in detail.")).GetProperty("costUsd").GetDecimal();

        var acmeSpend = await http.GetFromJsonAsync<JsonElement>("/spend?tenant=acme");
        var allSpend = await http.GetFromJsonAsync<JsonElement>("/spend");

        Assert.NotEqual(acme, globex);
        Assert.Equal(acme, acmeSpend.GetProperty("totalUsd").GetDecimal());
        Assert.All(acmeSpend.GetProperty("byModel").EnumerateArray(), r => Assert.Equal("acme", r.GetProperty("tenant").GetString()));
        Assert.Equal(acme + globex, allSpend.GetProperty("totalUsd").GetDecimal());
    }

    [Fact]
    public async Task Spend_AfterRestart_StillReadsTheStoreAndTheDurableBudget()
    {
        decimal cost;
        await using (var factory = Start())
        {
            using var http = factory.CreateClient();
            cost = (await ChatAsync(http, "acme", "Where is my order?")).GetProperty("costUsd").GetDecimal();
        }

        await using var restarted = Start();
        using var again = restarted.CreateClient();
        var spend = await again.GetFromJsonAsync<JsonElement>("/spend?tenant=acme");

        Assert.Equal(cost, spend.GetProperty("totalUsd").GetDecimal());
        var budget = spend.GetProperty("budgets").EnumerateArray().Single(b => b.GetProperty("policy").GetString() == "tenant-daily");
        Assert.Equal(cost, budget.GetProperty("spentUsd").GetDecimal());
    }

    [Fact]
    public async Task Chat_MissingMessage_IsAValidationProblem()
    {
        await using var factory = Start();
        using var http = factory.CreateClient();

        var response = await http.PostAsync("/chat", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty("message", out _));
    }

    [Fact]
    public async Task Chat_MalformedJson_IsAProblemNotTheDeveloperPage()
    {
        await using var factory = Start();
        using var http = factory.CreateClient();

        var response = await http.PostAsync("/chat", new StringContent("{\"message\": \"hi\",", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        Assert.StartsWith("The body is not valid JSON", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_BudgetExhausted_IsA429Problem()
    {
        await using var factory = Start(("TokenGovernor:Budgets:Policies:0:CostLimit", "0.0000001"));
        using var http = factory.CreateClient();

        var response = await http.PostAsJsonAsync("/chat", new { message = "Where is my order?", tenant = "acme" });

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("budget-exhausted", problem.GetProperty("reason").GetString());
    }

    [Theory]
    [InlineData("/spend?since=7x")]
    [InlineData("/spend?from=2026-12-02&to=2026-12-01")]
    [InlineData("/spend?from=yesterday")]
    public async Task Spend_BadRange_IsAValidationProblem(string url)
    {
        await using var factory = Start();
        using var http = factory.CreateClient();

        var response = await http.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Health_LedgerAndStore_AreHealthy()
    {
        await using var factory = Start();
        using var http = factory.CreateClient();

        var response = await http.GetAsync("/health");
        var health = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", health.GetProperty("status").GetString());
        Assert.Equal("Healthy", health.GetProperty("checks").GetProperty("budget-ledger").GetProperty("status").GetString());
        Assert.Equal("Healthy", health.GetProperty("checks").GetProperty("spend-store").GetProperty("status").GetString());
    }

    [Fact]
    public async Task SpendStoreHealthCheck_StoreFails_IsUnhealthy()
    {
        var store = new FailingSpendStore();
        await using var sink = new SpendStoreSink(store, new SpendStoreSinkOptions { MaxRetries = 0 });
        var check = new SpendStoreHealthCheck(store, sink, new FakeTimeProvider());

        var result = await check.CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("cannot be queried", result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BudgetLedgerHealthCheck_BudgetExhausted_IsDegraded()
    {
        var ledger = new InMemoryBudgetLedger([new BudgetPolicy("all") { CostLimit = 1m }]);
        var reservation = await ledger.ReserveAsync(GovernanceScope.Empty, 0.5m, 10);
        await ledger.SettleAsync(reservation.Reservation, 1m, 10);

        var result = await new BudgetLedgerHealthCheck(ledger).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Degraded, result.Status);
        Assert.Contains("all", result.Description, StringComparison.Ordinal);
    }

    private sealed class FailingSpendStore : ISpendStore
    {
        public Task WriteAsync(IReadOnlyList<GovernanceRecord> records, CancellationToken cancellationToken = default) =>
            throw new IOException("disk gone");

        public Task<IReadOnlyList<SpendTotal>> QueryAsync(SpendQuery query, CancellationToken cancellationToken = default) =>
            throw new IOException("disk gone");

        public IAsyncEnumerable<GovernanceRecord> ReadAsync(DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default) =>
            throw new IOException("disk gone");
    }
}
