using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace TokenGovernor.Sqlite.Tests;

/// <summary>A ledger file written by an older TokenGovernor.Sqlite opens, upgrades in place and enforces request limits.</summary>
public sealed class SqliteBudgetLedgerSchemaTests : IDisposable
{
    private static readonly DateTimeOffset s_now = new(2026, 11, 23, 10, 0, 20, TimeSpan.Zero);
    private readonly TempDatabase _files = new();

    // The ledger tables exactly as schema version 1 created them, with one reservation open in the current minute.
    private static void WriteVersion1File(string path)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        using var command = db.CreateCommand();
        var minute = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero).UtcTicks;
        command.CommandText = string.Create(CultureInfo.InvariantCulture, $"""
            PRAGMA journal_mode=WAL;
            CREATE TABLE tg_spend (
              policy TEXT NOT NULL, budget_key TEXT NOT NULL, bucket INTEGER NOT NULL,
              cost TEXT NOT NULL, tokens INTEGER NOT NULL, requests INTEGER NOT NULL,
              PRIMARY KEY (policy, budget_key, bucket)) WITHOUT ROWID;
            CREATE TABLE tg_budget (
              policy TEXT NOT NULL, budget_key TEXT NOT NULL, reserved TEXT NOT NULL, reserved_tokens INTEGER NOT NULL,
              fired INTEGER NOT NULL, fired_window INTEGER NOT NULL, last_spent TEXT NOT NULL,
              PRIMARY KEY (policy, budget_key)) WITHOUT ROWID;
            CREATE TABLE tg_reservation (
              id INTEGER PRIMARY KEY AUTOINCREMENT, cost TEXT NOT NULL, tokens INTEGER NOT NULL, expires INTEGER NOT NULL, holds TEXT NOT NULL);
            CREATE INDEX tg_reservation_expires ON tg_reservation (expires);
            CREATE TABLE tg_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
            INSERT INTO tg_schema VALUES ('ledger', 1);
            INSERT INTO tg_spend VALUES ('rpm', '', {minute}, '0', 0, 1);
            INSERT INTO tg_budget VALUES ('rpm', '', '0.5', 100, 0, {minute}, '0');
            INSERT INTO tg_reservation (cost, tokens, expires, holds) VALUES ('0.5', 100, {s_now.AddMinutes(10).UtcTicks}, '3:rpm0:');
            """);
        command.ExecuteNonQuery();
    }

    private static long SchemaVersion(string path)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        db.Open();
        using var command = db.CreateCommand();
        command.CommandText = "SELECT version FROM tg_schema WHERE component = 'ledger'";
        return (long)command.ExecuteScalar()!;
    }

    [Fact]
    public async Task Constructor_Version1File_UpgradesAndEnforcesRequestLimit()
    {
        var path = _files.NewPath();
        WriteVersion1File(path);
        var time = new FakeTimeProvider(s_now);
        var policy = new BudgetPolicy("rpm") { RequestLimit = 2, Window = BudgetWindow.Minute };

        using (var ledger = new SqliteBudgetLedger(path, [policy], timeProvider: time))
        {
            Assert.Equal(1, ledger.GetUsage(GovernanceScope.Empty)[0].Requests); // the version-1 reservation counted its request
            var fresh = await ledger.ReserveAsync(GovernanceScope.Empty, 0.1m, 10);
            Assert.True(fresh.IsGranted);
            var denied = await ledger.ReserveAsync(GovernanceScope.Empty, 0.1m, 10);
            Assert.True(denied.Denial!.IsRequestLimit);
            Assert.Equal(TimeSpan.FromSeconds(40), denied.Denial.RetryAfter);

            // The old reservation releases its cost; where it counted its request is unknown, so the request stays counted.
            Assert.True(await ledger.ReleaseAsync(new BudgetReservation(1, 0.5m, 100)));
            Assert.Equal(0.1m, ledger.GetUsage(GovernanceScope.Empty)[0].ReservedCost);
            Assert.Equal(2, ledger.GetUsage(GovernanceScope.Empty)[0].Requests);

            // A reservation made after the upgrade gives its request back.
            Assert.True(await ledger.ReleaseAsync(fresh.Reservation));
            Assert.Equal(1, ledger.GetUsage(GovernanceScope.Empty)[0].Requests);
        }

        Assert.Equal(2, SchemaVersion(path));
        using var reopened = new SqliteBudgetLedger(path, [policy], timeProvider: time); // the upgrade runs once
        Assert.Equal(1, reopened.GetUsage(GovernanceScope.Empty)[0].Requests);
        Assert.True((await reopened.ReserveAsync(GovernanceScope.Empty, 0, 0)).IsGranted);
    }

    [Fact]
    public void Constructor_NewerSchemaVersion_ThrowsNamingTheFile()
    {
        var path = _files.NewPath();
        WriteVersion1File(path);
        using (var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString()))
        {
            db.Open();
            using var command = db.CreateCommand();
            command.CommandText = "UPDATE tg_schema SET version = 99 WHERE component = 'ledger'";
            command.ExecuteNonQuery();
        }

        var ex = Assert.Throws<InvalidOperationException>(() => new SqliteBudgetLedger(path, [new BudgetPolicy("rpm") { RequestLimit = 1 }]));

        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("99", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _files.Dispose();
}
