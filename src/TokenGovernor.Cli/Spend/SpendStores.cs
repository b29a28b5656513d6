using Microsoft.Data.Sqlite;
using Npgsql;
using TokenGovernor.PostgreSql;
using TokenGovernor.Sqlite;

namespace TokenGovernor.Cli;

/// <summary>Opens the spend store a <c>--db</c> value names: a PostgreSQL connection string (it contains <c>=</c>) or a SQLite file.</summary>
internal static class SpendStores
{
    public static bool IsPostgreSql(string db) => db.Contains('=', StringComparison.Ordinal);

    public static ISpendStore Open(string? db, string command)
    {
        if (string.IsNullOrWhiteSpace(db))
        {
            throw new CliUsageException($"{command} needs --db F (a SQLite file such as governance.db, or a PostgreSQL connection string such as \"Host=db;Database=app;Username=app\")");
        }

        if (IsPostgreSql(db))
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(db);
            }
            catch (ArgumentException ex)
            {
                throw new CliUsageException($"--db looks like a PostgreSQL connection string but is not one ({ex.Message}); use Host=HOST;Port=5432;Database=DB;Username=USER");
            }

            return new PostgreSqlSpendStore(db);
        }

        CliApp.RequireFile(db, "--db");
        try
        {
            return new SqliteSpendStore(db);
        }
        catch (SqliteException ex)
        {
            throw new CliUsageException($"--db file '{db}' is not a TokenGovernor spend store ({ex.Message.ReplaceLineEndings(" ")})");
        }
    }

    /// <summary>Turns a store's connection failure into a one-line message that names --db.</summary>
    public static async Task<T> RunAsync<T>(string db, Func<Task<T>> action)
    {
        try
        {
            return await action();
        }
        catch (NpgsqlException ex)
        {
            throw new CliUsageException($"cannot query the PostgreSQL spend store named by --db: {ex.Message.ReplaceLineEndings(" ")}");
        }
        catch (SqliteException ex)
        {
            throw new CliUsageException($"cannot query the SQLite spend store '{db}': {ex.Message.ReplaceLineEndings(" ")}");
        }
    }

    public static async ValueTask DisposeAsync(ISpendStore store)
    {
        switch (store)
        {
            case IAsyncDisposable a:
                await a.DisposeAsync();
                break;
            case IDisposable d:
                d.Dispose();
                break;
        }
    }
}
