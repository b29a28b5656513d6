using System.Globalization;
using Microsoft.Data.Sqlite;

namespace TokenGovernor.Sqlite;

/// <summary>Opens TokenGovernor's SQLite databases the same way everywhere: WAL journal, the chosen durability, a busy timeout,
/// no connection pooling (the file is released when the owner is disposed).</summary>
internal static class SqliteDatabase
{
    public static SqliteConnection Open(string path, SqliteDurability durability, TimeSpan busyTimeout, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!readOnly && Path.GetDirectoryName(Path.GetFullPath(path)) is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = readOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds),
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            var synchronous = durability == SqliteDurability.PowerLoss ? "FULL" : "NORMAL";
            var journal = readOnly ? string.Empty : "PRAGMA journal_mode=WAL;";
            Execute(connection, string.Create(CultureInfo.InvariantCulture,
                $"PRAGMA busy_timeout={(long)busyTimeout.TotalMilliseconds};{journal}PRAGMA synchronous={synchronous};"));
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        command.ExecuteNonQuery();
    }

    public static string Text(decimal value) => value.ToString(CultureInfo.InvariantCulture);

    public static decimal Decimal(SqliteDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? 0m : decimal.Parse(reader.GetString(ordinal), NumberStyles.Number, CultureInfo.InvariantCulture);
}
