using Microsoft.Extensions.DependencyInjection;

namespace TokenGovernor.PostgreSql.Tests;

public sealed class PostgreSqlSpendStoreTests
{
    [Fact]
    public void Constructor_BadSchema_ThrowsNamingIt()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PostgreSqlSpendStore("Host=localhost", "x; DROP TABLE y"));

        Assert.Contains("x; DROP TABLE y", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UsePostgreSqlSpendStore_BadConnectionString_FailsAtConfiguration()
    {
        var services = new ServiceCollection();

        Assert.ThrowsAny<ArgumentException>(() => services.AddTokenGovernor().UsePostgreSqlSpendStore("Hots=nowhere;;Port=abc"));
    }

    [SkippableFact]
    public async Task UsePostgreSqlSpendStore_GovernedCallsThroughDi_AreInTheStoreAfterDispose()
    {
        var schema = PostgresServer.NewSchema("di");
        var services = new ServiceCollection();
        services.AddTokenGovernor().UseSpendStore(_ => new PostgreSqlSpendStore(PostgresServer.ConnectionString, schema));
        try
        {
            await using (var provider = services.BuildServiceProvider())
            {
                var sinks = provider.GetServices<ICostSink>().ToList();
                foreach (var sink in sinks)
                {
                    sink.Record(new GovernanceRecord { Timestamp = DateTimeOffset.UnixEpoch, Scope = new GovernanceScope { Feature = "faq" }, ModelId = "gpt-4o", Cost = new CostBreakdown(0.5m, 0, 0, 0.25m, 0) });
                }
            }

            await using var store = new PostgreSqlSpendStore(PostgresServer.ConnectionString, schema);
            var total = Assert.Single(await store.QueryAsync(new SpendQuery { GroupBy = SpendGrouping.Feature }));
            Assert.Equal(("faq", 0.75m, 1L), (total.Feature, total.Cost, total.Calls));
        }
        finally
        {
            await PostgresServer.DropSchemaAsync(schema);
        }
    }
}
