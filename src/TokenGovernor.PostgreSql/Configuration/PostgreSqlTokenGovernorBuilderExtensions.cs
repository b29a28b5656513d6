using TokenGovernor;
using TokenGovernor.PostgreSql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Writes TokenGovernor's spend records to PostgreSQL, for many app instances.</summary>
public static class PostgreSqlTokenGovernorBuilderExtensions
{
    /// <summary>
    /// Writes every governed call to a <see cref="PostgreSqlSpendStore"/>, batched off the request path; query it with
    /// <c>tokengov spend --db "Host=…"</c>.
    /// </summary>
    /// <param name="builder">The builder from <c>AddTokenGovernor</c>.</param>
    /// <param name="connectionString">An Npgsql connection string.</param>
    /// <param name="configure">Tunes batching and retries.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">The connection string is invalid.</exception>
    public static TokenGovernorBuilder UsePostgreSqlSpendStore(this TokenGovernorBuilder builder, string connectionString, Action<SpendStoreSinkOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _ = new Npgsql.NpgsqlConnectionStringBuilder(connectionString); // fails now, at configuration, naming what is wrong
        return builder.UseSpendStore(_ => new PostgreSqlSpendStore(connectionString), configure);
    }
}
