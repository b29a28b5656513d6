using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using TokenGovernor;
using TokenGovernor.Sqlite;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Keeps TokenGovernor's budgets in a SQLite file, so they survive restarts and crashes on a single machine.</summary>
public static class SqliteTokenGovernorBuilderExtensions
{
    /// <summary>
    /// Replaces the in-memory ledger with a <see cref="SqliteBudgetLedger"/> in <paramref name="databasePath"/>, enforcing the
    /// configured budget policies. The options are validated here, at configuration time.
    /// </summary>
    /// <param name="builder">The builder from <c>AddTokenGovernor</c>.</param>
    /// <param name="databasePath">The database file, for example <c>governor.db</c> (created when missing).</param>
    /// <param name="configure">Tunes the ledger (lease, busy timeout, durability).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public static TokenGovernorBuilder UseSqliteLedger(this TokenGovernorBuilder builder, string databasePath, Action<SqliteBudgetLedgerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        var options = new SqliteBudgetLedgerOptions();
        configure?.Invoke(options);
        options.Validate();
        builder.Services.Replace(ServiceDescriptor.Singleton<IBudgetLedger>(sp => new SqliteBudgetLedger(
            databasePath,
            sp.GetRequiredService<ConfiguredBudgetPolicies>().Policies,
            options,
            sp.GetService<TimeProvider>(),
            sp.GetService<ILoggerFactory>()?.CreateLogger<SqliteBudgetLedger>())));
        return builder;
    }

    /// <summary>
    /// Writes every governed call to a <see cref="SqliteSpendStore"/> in <paramref name="databasePath"/> (it may be the ledger's
    /// file), batched off the request path; query it with <c>tokengov spend --db</c>.
    /// </summary>
    /// <param name="builder">The builder from <c>AddTokenGovernor</c>.</param>
    /// <param name="databasePath">The database file, for example <c>governance.db</c> (created when missing).</param>
    /// <param name="configure">Tunes batching and retries.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">An option is invalid.</exception>
    public static TokenGovernorBuilder UseSqliteSpendStore(this TokenGovernorBuilder builder, string databasePath, Action<SpendStoreSinkOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        return builder.UseSpendStore(_ => new SqliteSpendStore(databasePath), configure);
    }
}
