using Microsoft.Data.Sqlite;

namespace SessionGateway.Storage;

/// <summary>
/// Versioned schema migrations, tracked in <c>PRAGMA user_version</c>. Each step runs in its own write
/// transaction and re-checks the version inside it, so replicas starting together apply a step once.
/// Append new steps; never edit a shipped one.
/// </summary>
internal static class SqliteSchema
{
    private const string V1 = """
        CREATE TABLE IF NOT EXISTS sessions (
            handle TEXT NOT NULL PRIMARY KEY,
            user_id TEXT NOT NULL,
            custom_claims TEXT NOT NULL,
            anti_csrf_token TEXT NULL,
            current_hash TEXT NOT NULL,
            previous_hash TEXT NULL,
            rotated_at INTEGER NULL,
            expires_at INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_sessions_expires_at ON sessions (expires_at);
        CREATE INDEX IF NOT EXISTS ix_sessions_user_id ON sessions (user_id);

        CREATE TABLE IF NOT EXISTS signing_keys (
            kid TEXT NOT NULL PRIMARY KEY,
            algorithm TEXT NOT NULL,
            private_key BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            signs_from INTEGER NOT NULL,
            signs_until INTEGER NOT NULL,
            verify_until INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS ux_signing_keys_slot ON signing_keys (algorithm, signs_from);

        CREATE TABLE IF NOT EXISTS secrets (
            name TEXT NOT NULL PRIMARY KEY,
            value BLOB NOT NULL
        );

        CREATE TABLE IF NOT EXISTS session_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            user_id TEXT NOT NULL,
            session_handle TEXT NOT NULL,
            occurred_at INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_session_events_user_id ON session_events (user_id);
        """;

    // Revocations are durable, so a restart never makes a signed-out access token valid again.
    private const string V2 = """
        CREATE TABLE IF NOT EXISTS revocations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            handle TEXT NOT NULL,
            refuse_until INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_revocations_refuse_until ON revocations (refuse_until);
        """;

    // Session management (admin API, "your devices", webhooks): the clients seen at login and at the last refresh, the
    // client of each audit event, the audit trail by time, and the webhook outbox (a row per queued delivery, written in
    // the transaction of the event it reports).
    private const string V3 = """
        ALTER TABLE sessions ADD COLUMN created_address TEXT NULL;
        ALTER TABLE sessions ADD COLUMN created_user_agent TEXT NULL;
        ALTER TABLE sessions ADD COLUMN refreshed_address TEXT NULL;
        ALTER TABLE sessions ADD COLUMN refreshed_user_agent TEXT NULL;

        ALTER TABLE session_events ADD COLUMN client_address TEXT NULL;
        ALTER TABLE session_events ADD COLUMN user_agent TEXT NULL;
        CREATE INDEX IF NOT EXISTS ix_session_events_occurred_at ON session_events (occurred_at);

        CREATE TABLE IF NOT EXISTS webhook_outbox (
            webhook_id TEXT NOT NULL PRIMARY KEY,
            event_id INTEGER NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            taken_until INTEGER NULL
        );
        CREATE INDEX IF NOT EXISTS ix_webhook_outbox_next_attempt_at ON webhook_outbox (next_attempt_at);
        CREATE INDEX IF NOT EXISTS ix_webhook_outbox_event_id ON webhook_outbox (event_id);
        """;

    private static readonly string[] Migrations = [V1, V2, V3];

    public static int LatestVersion => Migrations.Length;

    /// <summary>The SQL of one step (1-based), so tests can build a database as an older version left it.</summary>
    internal static string Step(int version) => Migrations[version - 1];

    private const string ReadVersion = "PRAGMA user_version;";

    // Plain ADO.NET, not Dapper: this runs at every start (see SqliteSessionStore.Command).
    public static void Migrate(SqliteConnection connection)
    {
        // WAL cannot be switched inside a transaction; it is persistent, so once per database is enough.
        Execute(connection, "PRAGMA journal_mode=WAL;");

        // A restart finds the schema current: one read, no write transaction.
        if (ReadCurrentVersion(connection, transaction: null) >= Migrations.Length)
        {
            return;
        }

        for (var version = 1; version <= Migrations.Length; version++)
        {
            using var transaction = connection.BeginTransaction();
            if (ReadCurrentVersion(connection, transaction) >= version)
            {
                continue;
            }

            Execute(connection, Migrations[version - 1], transaction);
            // PRAGMA does not take parameters; version is our own integer.
            Execute(connection, $"PRAGMA user_version = {version};", transaction);
            transaction.Commit();
        }
    }

    private static long ReadCurrentVersion(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var command = SqliteSessionStore.Command(connection, ReadVersion, transaction);
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = SqliteSessionStore.Command(connection, sql, transaction);
        command.ExecuteNonQuery();
    }
}
