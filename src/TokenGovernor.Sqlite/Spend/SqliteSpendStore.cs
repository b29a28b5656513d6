using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;

namespace TokenGovernor.Sqlite;

/// <summary>
/// The embedded <see cref="ISpendStore"/>: one row per <see cref="GovernanceRecord"/> in a SQLite file (WAL journal; it may be the
/// ledger's file). Money is stored as exact decimal text and summed exactly (a decimal aggregate registered on the connection).
/// </summary>
/// <remarks>
/// <para>Write through <see cref="SpendStoreSink"/> so calls never wait on the file. Readers (the <c>tokengov</c> CLI, reports) open
/// their own connections and never block the writer (WAL).</para>
/// <para>Thread-safe. Days are UTC calendar days of the call's start.</para>
/// </remarks>
public sealed class SqliteSpendStore : ISpendStore, IDisposable
{
    private const int SchemaVersion = 1;
    private readonly object _gate = new();
    private readonly SqliteConnection _db;
    private readonly SqliteCommand _insert;
    private readonly SqliteDurability _durability;
    private readonly TimeSpan _busyTimeout;
    private bool _disposed;

    /// <summary>Opens (creating when missing) the spend store in <paramref name="databasePath"/>.</summary>
    /// <param name="databasePath">The database file, for example <c>governance.db</c>; its directory is created when missing.</param>
    /// <param name="durability">How far a committed batch survives a crash.</param>
    /// <exception cref="SqliteException">The file cannot be opened or is not a SQLite database.</exception>
    public SqliteSpendStore(string databasePath, SqliteDurability durability = SqliteDurability.ProcessCrash)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        DatabasePath = databasePath;
        _durability = durability;
        _busyTimeout = TimeSpan.FromSeconds(30);
        _db = Open();
        try
        {
            CreateSchema();
            _insert = _db.CreateCommand();
            _insert.CommandText = $"INSERT INTO {SpendColumns.Table} ({string.Join(", ", SpendColumns.All.Select(c => c.Name))}) VALUES ({string.Join(", ", SpendColumns.All.Select((_, i) => "$p" + i.ToString(CultureInfo.InvariantCulture)))})";
            for (var i = 0; i < SpendColumns.All.Length; i++)
            {
                _insert.Parameters.Add(new SqliteParameter("$p" + i.ToString(CultureInfo.InvariantCulture), null));
            }
        }
        catch
        {
            _db.Dispose();
            throw;
        }
    }

    /// <summary>Gets the database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    public Task WriteAsync(IReadOnlyList<GovernanceRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var tx = _db.BeginTransaction();
            _insert.Transaction = tx;
            foreach (var record in records)
            {
                ArgumentNullException.ThrowIfNull(record, nameof(records));
                var values = SpendColumns.Values(record);
                for (var i = 0; i < values.Length; i++)
                {
                    _insert.Parameters[i].Value = values[i] switch
                    {
                        null => DBNull.Value,
                        decimal d => SqliteDatabase.Text(d),
                        var v => v,
                    };
                }

                _insert.ExecuteNonQuery();
            }

            tx.Commit();
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<SpendTotal>> QueryAsync(SpendQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        cancellationToken.ThrowIfCancellationRequested();
        var keys = SpendSql.GroupColumns(query.GroupBy);
        var select = new StringBuilder("SELECT ");
        foreach (var key in keys)
        {
            select.Append("COALESCE(").Append(key).Append(", ''), ");
        }

        select.Append("COUNT(*), tg_dsum(cost), tg_dsum(cost_avoided), COALESCE(SUM(input_tokens), 0), COALESCE(SUM(total_output_tokens), 0) FROM ")
            .Append(SpendColumns.Table).Append(" WHERE ts >= $from AND ts < $to");
        if (keys.Count > 0)
        {
            var list = string.Join(", ", keys.Select(k => $"COALESCE({k}, '')"));
            select.Append(" GROUP BY ").Append(list).Append(" ORDER BY ").Append(list);
        }

        var totals = new List<SpendTotal>();
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = select.ToString();
        command.Parameters.AddWithValue("$from", query.From?.UtcTicks ?? long.MinValue);
        command.Parameters.AddWithValue("$to", query.To?.UtcTicks ?? long.MaxValue);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (keys.Count == 0 && reader.GetInt64(0) == 0)
            {
                break; // no records: no group
            }

            var values = new string[keys.Count];
            for (var i = 0; i < keys.Count; i++)
            {
                values[i] = reader.GetString(i);
            }

            var n = keys.Count;
            totals.Add(SpendSql.Total(query.GroupBy, values, reader.GetInt64(n), Parse(reader.GetString(n + 1)), Parse(reader.GetString(n + 2)),
                reader.GetInt64(n + 3), reader.GetInt64(n + 4)));
        }

        return Task.FromResult<IReadOnlyList<SpendTotal>>(totals);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<GovernanceRecord> ReadAsync(DateTimeOffset? from = null, DateTimeOffset? to = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {string.Join(", ", SpendColumns.All.Select(c => c.Name))} FROM {SpendColumns.Table} WHERE ts >= $from AND ts < $to ORDER BY ts, rowid";
        command.Parameters.AddWithValue("$from", from?.UtcTicks ?? long.MinValue);
        command.Parameters.AddWithValue("$to", to?.UtcTicks ?? long.MaxValue);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var row = new Row(reader);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return SpendColumns.FromRow(row);
        }
    }

    /// <summary>Closes the database file.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _insert.Dispose();
            _db.Dispose();
        }
    }

    private static decimal Parse(string text) => decimal.Parse(text, NumberStyles.Number, CultureInfo.InvariantCulture);

    private SqliteConnection Open()
    {
        var connection = SqliteDatabase.Open(DatabasePath, _durability, _busyTimeout);
        // Exact sums of the decimal text columns: SQLite's SUM would go through binary floating point.
        connection.CreateAggregate("tg_dsum", 0m,
            static (decimal sum, string? value) => value is null ? sum : sum + Parse(value),
            static (decimal sum) => sum.ToString(CultureInfo.InvariantCulture),
            isDeterministic: true);
        return connection;
    }

    private void CreateSchema()
    {
        using var tx = _db.BeginTransaction();
        var columns = string.Join(", ", SpendColumns.All.Select(c => c.Name + " " + c.Type switch
        {
            SpendColumnType.Integer => "INTEGER",
            SpendColumnType.Real => "REAL",
            _ => "TEXT",
        }));
        SqliteDatabase.Execute(_db, $"""
            CREATE TABLE IF NOT EXISTS {SpendColumns.Table} ({columns});
            CREATE INDEX IF NOT EXISTS {SpendColumns.Table}_ts ON {SpendColumns.Table} (ts);
            CREATE TABLE IF NOT EXISTS tg_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
            """, tx);
        using (var command = _db.CreateCommand())
        {
            command.Transaction = tx;
            command.CommandText = "SELECT version FROM tg_schema WHERE component = 'spend'";
            if (command.ExecuteScalar() is long version && version > SchemaVersion)
            {
                throw new InvalidOperationException(
                    $"The spend store in '{DatabasePath}' has schema version {version}, newer than this TokenGovernor.Sqlite ({SchemaVersion}); upgrade the package or use another file.");
            }
        }

        SqliteDatabase.Execute(_db, $"INSERT OR IGNORE INTO tg_schema (component, version) VALUES ('spend', {SchemaVersion})", tx);
        tx.Commit();
    }

    private sealed class Row(SqliteDataReader reader) : ISpendRow
    {
        public long? Int64(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

        public double? Real(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

        public string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

        public decimal? Money(int ordinal) => reader.IsDBNull(ordinal) ? null : Parse(reader.GetString(ordinal));
    }
}
