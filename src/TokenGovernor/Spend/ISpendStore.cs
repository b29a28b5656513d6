namespace TokenGovernor;

/// <summary>
/// A durable store of every <see cref="GovernanceRecord"/>, queryable after the fact: spend by tenant, feature, model and day over a
/// time range. Written through <see cref="SpendStoreSink"/> (batched, off the request path); implemented on SQLite
/// (<c>TokenGovernor.Sqlite</c>, embedded default) and PostgreSQL (<c>TokenGovernor.PostgreSql</c>, for many instances).
/// </summary>
/// <remarks>Implementations are thread-safe and sum money exactly (as <see cref="decimal"/>).</remarks>
public interface ISpendStore
{
    /// <summary>Writes records in one transaction: all of them or none.</summary>
    /// <param name="records">The records.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the records are committed.</returns>
    Task WriteAsync(IReadOnlyList<GovernanceRecord> records, CancellationToken cancellationToken = default);

    /// <summary>Sums the stored records, grouped as <paramref name="query"/> asks.</summary>
    /// <param name="query">The grouping and time range.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>One total per group, ordered by the group's columns (tenant, feature, model, day).</returns>
    Task<IReadOnlyList<SpendTotal>> QueryAsync(SpendQuery query, CancellationToken cancellationToken = default);

    /// <summary>Reads the stored records in time order, as they were written (for reports and forecasts).</summary>
    /// <param name="from">The first instant included, or <see langword="null"/> for the beginning.</param>
    /// <param name="to">The first instant excluded, or <see langword="null"/> for the end.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The records, oldest first.</returns>
    IAsyncEnumerable<GovernanceRecord> ReadAsync(DateTimeOffset? from = null, DateTimeOffset? to = null, CancellationToken cancellationToken = default);
}
