using TokenGovernor.Testing;

namespace TokenGovernor.PostgreSql.Tests;

/// <summary>The spend store contract against a real PostgreSQL server, one schema per test.</summary>
public sealed class PostgreSqlSpendStoreContractTests : SpendStoreContractTests, IAsyncLifetime
{
    private readonly List<(PostgreSqlSpendStore Store, string Schema)> _stores = [];

    protected override async Task<ISpendStore> CreateStoreAsync()
    {
        var schema = PostgresServer.NewSchema("spend");
        var store = new PostgreSqlSpendStore(PostgresServer.ConnectionString, schema);
        await store.EnsureSchemaAsync();
        _stores.Add((store, schema));
        return store;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var (store, schema) in _stores)
        {
            await store.DisposeAsync();
            await PostgresServer.DropSchemaAsync(schema);
        }
    }
}
