using System.Runtime.CompilerServices;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace TokenGovernor.PostgreSql;

/// <summary>
/// An <see cref="ISpendStore"/> on PostgreSQL, for many app instances writing to one place: one row per <see cref="GovernanceRecord"/>
/// in <c>tg_call</c> (money as <c>numeric</c>, summed exactly), written in batches with binary <c>COPY</c>.
/// </summary>
/// <remarks>
/// <para>The table and its index are created on first use in <see cref="Schema"/> (the role needs CREATE there, or create them once
/// with <see cref="EnsureSchemaAsync"/> as an owner). Write through <see cref="SpendStoreSink"/> so calls never wait on the server.</para>
/// <para>Thread-safe: connections come from an Npgsql pool. Days are UTC calendar days of the call's start.</para>
/// </remarks>
public sealed class PostgreSqlSpendStore : ISpendStore, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly SemaphoreSlim _schemaLock = new(1, 1);
    private readonly string _table;
    private volatile bool _schemaReady;

    /// <summary>Initializes a store that opens its own connection pool, with its table in the <c>public</c> schema.</summary>
    /// <param name="connectionString">An Npgsql connection string, such as <c>Host=db;Database=app;Username=app;Password=…</c>.</param>
    /// <exception cref="ArgumentException">The connection string is invalid.</exception>
    public PostgreSqlSpendStore(string connectionString)
        : this(connectionString, "public")
    {
    }

    /// <summary>Initializes a store that opens its own connection pool.</summary>
    /// <param name="connectionString">An Npgsql connection string, such as <c>Host=db;Database=app;Username=app;Password=…</c>.</param>
    /// <param name="schema">The schema of the table, for example <c>public</c>.</param>
    /// <exception cref="ArgumentException">The connection string or schema is invalid.</exception>
    public PostgreSqlSpendStore(string connectionString, string schema)
        : this(NpgsqlDataSource.Create(ValidConnectionString(connectionString)), schema, ownsDataSource: true)
    {
    }

    /// <summary>Initializes a store on a data source the app owns (and disposes).</summary>
    /// <param name="dataSource">The data source.</param>
    /// <param name="schema">The schema of the table, for example <c>public</c>.</param>
    /// <exception cref="ArgumentException">The schema is not a plain identifier.</exception>
    public PostgreSqlSpendStore(NpgsqlDataSource dataSource, string schema)
        : this(dataSource, schema, ownsDataSource: false)
    {
    }

    private PostgreSqlSpendStore(NpgsqlDataSource dataSource, string schema, bool ownsDataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentException.ThrowIfNullOrWhiteSpace(schema);
        if (!schema.All(c => char.IsAsciiLetterOrDigit(c) || c == '_') || char.IsAsciiDigit(schema[0]))
        {
            throw new ArgumentException($"The schema '{schema}' is not a plain identifier; use letters, digits and underscores, starting with a letter.", nameof(schema));
        }

        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        Schema = schema;
        _table = $"\"{schema}\".{SpendColumns.Table}";
    }

    /// <summary>Gets the schema of the <c>tg_call</c> table.</summary>
    public string Schema { get; }

    /// <summary>Creates the schema, table and index when missing (done on first use otherwise).</summary>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the table exists.</returns>
    /// <exception cref="NpgsqlException">The server cannot be reached or the role may not create the table.</exception>
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        if (_schemaReady)
        {
            return;
        }

        await _schemaLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_schemaReady)
            {
                return;
            }

            var columns = string.Join(", ", SpendColumns.All.Select(c => c.Name + " " + PgType(c.Type)));
            var command = _dataSource.CreateCommand($"""
                CREATE SCHEMA IF NOT EXISTS "{Schema}";
                CREATE TABLE IF NOT EXISTS {_table} (id bigserial PRIMARY KEY, {columns});
                CREATE INDEX IF NOT EXISTS {SpendColumns.Table}_ts ON {_table} (ts);
                """);
            await using var commandScope = command.ConfigureAwait(false);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            _schemaReady = true;
        }
        finally
        {
            _schemaLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task WriteAsync(IReadOnlyList<GovernanceRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        if (records.Count == 0)
        {
            return;
        }

        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionScope = connection.ConfigureAwait(false);
        // One COPY is one statement: the batch is committed whole or not at all.
        var writer = await connection.BeginBinaryImportAsync(
            $"COPY {_table} ({string.Join(", ", SpendColumns.All.Select(c => c.Name))}) FROM STDIN (FORMAT BINARY)", cancellationToken).ConfigureAwait(false);
        await using var writerScope = writer.ConfigureAwait(false);
        foreach (var record in records)
        {
            ArgumentNullException.ThrowIfNull(record, nameof(records));
            var values = SpendColumns.Values(record);
            await writer.StartRowAsync(cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < values.Length; i++)
            {
                var type = SpendColumns.All[i].Type;
                switch (values[i])
                {
                    case null:
                        await writer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                        break;
                    case long l:
                        await writer.WriteAsync(l, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                        break;
                    case double d:
                        await writer.WriteAsync(d, NpgsqlDbType.Double, cancellationToken).ConfigureAwait(false);
                        break;
                    case decimal m:
                        await writer.WriteAsync(m, NpgsqlDbType.Numeric, cancellationToken).ConfigureAwait(false);
                        break;
                    case string s:
                        await writer.WriteAsync(s, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                        break;
                    default:
                        throw new InvalidOperationException($"Spend column {SpendColumns.All[i].Name} ({type}) has an unexpected value type {values[i]!.GetType().Name}.");
                }
            }
        }

        await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SpendTotal>> QueryAsync(SpendQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var keys = SpendSql.GroupColumns(query.GroupBy);
        var list = string.Join(", ", keys.Select(k => $"COALESCE({k}, '')"));
        var sql = new StringBuilder("SELECT ");
        foreach (var key in keys)
        {
            sql.Append("COALESCE(").Append(key).Append(", ''), ");
        }

        sql.Append("COUNT(*), COALESCE(SUM(cost), 0), COALESCE(SUM(cost_avoided), 0), COALESCE(SUM(input_tokens), 0)::bigint, COALESCE(SUM(total_output_tokens), 0)::bigint FROM ")
            .Append(_table).Append(" WHERE ts >= @from AND ts < @to");
        if (keys.Count > 0)
        {
            // COLLATE "C": the same byte order as SQLite and .NET's ordinal comparison, whatever the database's locale.
            sql.Append(" GROUP BY ").Append(list).Append(" ORDER BY ").Append(string.Join(", ", keys.Select(k => $"COALESCE({k}, '') COLLATE \"C\"")));
        }

        var command = _dataSource.CreateCommand(sql.ToString());
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.AddWithValue("from", query.From?.UtcTicks ?? long.MinValue);
        command.Parameters.AddWithValue("to", query.To?.UtcTicks ?? long.MaxValue);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var totals = new List<SpendTotal>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var n = keys.Count;
            if (n == 0 && reader.GetInt64(0) == 0)
            {
                break;
            }

            var values = new string[n];
            for (var i = 0; i < n; i++)
            {
                values[i] = reader.GetString(i);
            }

            totals.Add(SpendSql.Total(query.GroupBy, values, reader.GetInt64(n), reader.GetDecimal(n + 1), reader.GetDecimal(n + 2), reader.GetInt64(n + 3), reader.GetInt64(n + 4)));
        }

        return totals;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<GovernanceRecord> ReadAsync(DateTimeOffset? from = null, DateTimeOffset? to = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureSchemaAsync(cancellationToken).ConfigureAwait(false);
        var command = _dataSource.CreateCommand(
            $"SELECT {string.Join(", ", SpendColumns.All.Select(c => c.Name))} FROM {_table} WHERE ts >= @from AND ts < @to ORDER BY ts, id");
        await using var commandScope = command.ConfigureAwait(false);
        command.Parameters.AddWithValue("from", from?.UtcTicks ?? long.MinValue);
        command.Parameters.AddWithValue("to", to?.UtcTicks ?? long.MaxValue);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var row = new Row(reader);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return SpendColumns.FromRow(row);
        }
    }

    /// <summary>Closes the connection pool when the store created it.</summary>
    /// <returns>A task that completes when the pool is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        _schemaLock.Dispose();
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the connection pool when the store created it.</summary>
    public void Dispose()
    {
        _schemaLock.Dispose();
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }

    private static string ValidConnectionString(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        try
        {
            return new NpgsqlConnectionStringBuilder(connectionString).ConnectionString;
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"The PostgreSQL connection string is invalid ({ex.Message}); use the form Host=HOST;Port=5432;Database=DB;Username=USER;Password=….", nameof(connectionString), ex);
        }
    }

    private static string PgType(SpendColumnType type) => type switch
    {
        SpendColumnType.Integer => "bigint",
        SpendColumnType.Real => "double precision",
        SpendColumnType.Money => "numeric",
        _ => "text",
    };

    private sealed class Row(NpgsqlDataReader reader) : ISpendRow
    {
        public long? Int64(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

        public double? Real(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);

        public string? Text(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

        public decimal? Money(int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDecimal(ordinal);
    }
}
