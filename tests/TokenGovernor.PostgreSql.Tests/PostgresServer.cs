using Npgsql;

namespace TokenGovernor.PostgreSql.Tests;

/// <summary>
/// The PostgreSQL server the tests share: the one named by <c>TOKENGOVERNOR_POSTGRES</c> (an Npgsql connection string; <c>.ci/run</c>
/// starts one with <c>eng/postgres.sh</c>). Without it the tests are skipped with the reason — unless
/// <c>TOKENGOVERNOR_REQUIRE_POSTGRES=1</c> (set by CI), which turns the skip into a failure.
/// </summary>
internal static class PostgresServer
{
    private static int s_next;

    public static string ConnectionString
    {
        get
        {
            var value = Environment.GetEnvironmentVariable("TOKENGOVERNOR_POSTGRES");
            if (string.IsNullOrWhiteSpace(value))
            {
                Assert.False(Environment.GetEnvironmentVariable("TOKENGOVERNOR_REQUIRE_POSTGRES") == "1",
                    "TOKENGOVERNOR_REQUIRE_POSTGRES=1 but TOKENGOVERNOR_POSTGRES is not set; start a server with eng/postgres.sh.");
                Skip.If(true, "PostgreSQL tests skipped: TOKENGOVERNOR_POSTGRES is not set. Start a server with `eng/postgres.sh start DIR` and export the string it prints.");
            }

            return value!;
        }
    }

    /// <summary>A schema no other test uses.</summary>
    public static string NewSchema(string name) => $"t{Environment.ProcessId}_{Interlocked.Increment(ref s_next)}_{name}";

    public static async Task DropSchemaAsync(string schema)
    {
        await using var source = NpgsqlDataSource.Create(ConnectionString);
        await using var command = source.CreateCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        await command.ExecuteNonQueryAsync();
    }
}
