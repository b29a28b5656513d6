using TokenGovernor.Testing;

namespace TokenGovernor.Sqlite.Tests;

/// <summary>The spend store contract on a SQLite file per test.</summary>
public sealed class SqliteSpendStoreContractTests : SpendStoreContractTests, IDisposable
{
    private readonly TempDatabase _files = new();
    private readonly List<SqliteSpendStore> _stores = [];

    protected override Task<ISpendStore> CreateStoreAsync()
    {
        var store = new SqliteSpendStore(_files.NewPath("spend"));
        _stores.Add(store);
        return Task.FromResult<ISpendStore>(store);
    }

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

        _files.Dispose();
    }
}
