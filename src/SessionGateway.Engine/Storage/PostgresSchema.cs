using System.Globalization;
using Npgsql;

namespace SessionGateway.Storage;

/// <summary>
/// Versioned schema migrations for PostgreSQL, tracked in <c>session_gateway_schema</c>. All pending steps run in one
/// transaction under a transaction-scoped advisory lock, so replicas starting together migrate once and the
/// others wait, then find nothing to do. Append new steps; never edit a shipped one.
/// </summary>
internal static class PostgresSchema
{
    // Any fixed 64-bit number; other applications on the same database are unlikely to pick it.
    private const long MigrationLock = 0x5365_7373_4757_0001;

    private const string V1 = """
        CREATE TABLE sessions (
            handle text NOT NULL PRIMARY KEY,
            user_id text NOT NULL,
            custom_claims text NOT NULL,
            anti_csrf_token text NULL,
            current_hash text NOT NULL,
            previous_hash text NULL,
            rotated_at timestamptz NULL,
            expires_at timestamptz NOT NULL,
            created_at timestamptz NOT NULL
        );
        CREATE INDEX ix_sessions_expires_at ON sessions (expires_at);
        CREATE INDEX ix_sessions_user_id ON sessions (user_id);

        CREATE TABLE signing_keys (
            kid text NOT NULL PRIMARY KEY,
            algorithm text NOT NULL,
            private_key bytea NOT NULL,
            created_at timestamptz NOT NULL,
            signs_from timestamptz NOT NULL,
            signs_until timestamptz NOT NULL,
            verify_until timestamptz NOT NULL,
            CONSTRAINT ux_signing_keys_slot UNIQUE (algorithm, signs_from)
        );

        CREATE TABLE secrets (
            name text NOT NULL PRIMARY KEY,
            value bytea NOT NULL
        );

        CREATE TABLE session_events (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind text NOT NULL,
            user_id text NOT NULL,
            session_handle text NOT NULL,
            occurred_at timestamptz NOT NULL
        );
        CREATE INDEX ix_session_events_user_id ON session_events (user_id);

        CREATE TABLE revocations (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            handle text NOT NULL,
            refuse_until timestamptz NOT NULL
        );
        CREATE INDEX ix_revocations_refuse_until ON revocations (refuse_until);
        """;

    // Session management (admin API, "your devices", webhooks): see SqliteSchema's V3.
    private const string V2 = """
        ALTER TABLE sessions ADD COLUMN created_address text NULL;
        ALTER TABLE sessions ADD COLUMN created_user_agent text NULL;
        ALTER TABLE sessions ADD COLUMN refreshed_address text NULL;
        ALTER TABLE sessions ADD COLUMN refreshed_user_agent text NULL;

        ALTER TABLE session_events ADD COLUMN client_address text NULL;
        ALTER TABLE session_events ADD COLUMN user_agent text NULL;
        CREATE INDEX ix_session_events_occurred_at ON session_events (occurred_at);
        -- The id of the transaction that wrote the event, the trail's order (see EventCursor): ids are drawn before
        -- commit, transaction ids let a reader tell which writers may still commit. Rows already there (committed:
        -- the ALTER waits for their writers) get 0 and sort first, without rewriting the table; later rows the
        -- writer's id (pg_current_xact_id: PostgreSQL 13 or later).
        ALTER TABLE session_events ADD COLUMN xact bigint NOT NULL DEFAULT 0;
        ALTER TABLE session_events ALTER COLUMN xact SET DEFAULT pg_current_xact_id()::text::bigint;
        CREATE INDEX ix_session_events_xact_id ON session_events (xact, id);

        CREATE TABLE webhook_outbox (
            webhook_id text NOT NULL PRIMARY KEY,
            event_id bigint NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            taken_until timestamptz NULL
        );
        CREATE INDEX ix_webhook_outbox_next_attempt_at ON webhook_outbox (next_attempt_at);
        CREATE INDEX ix_webhook_outbox_event_id ON webhook_outbox (event_id);
        """;

    private static readonly string[] Migrations = [V1, V2];

    // Not the request-sized command timeout: waiting for another replica's migration, or a long one, is normal at start.
    private const int MigrationTimeoutSeconds = 300;

    public static int LatestVersion => Migrations.Length;

    /// <summary>The SQL of one step (1-based), so tests can build a database as an older version left it.</summary>
    internal static string Step(int version) => Migrations[version - 1];

    // Plain commands, not Dapper: this runs at every start (see PostgresSessionStore.StartCommand).
    public static async Task MigrateAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = PostgresSessionStore.StartCommand("SELECT pg_advisory_xact_lock($1);", connection, transaction, MigrationTimeoutSeconds))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = MigrationLock });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        await ExecuteAsync(connection, transaction, "CREATE TABLE IF NOT EXISTS session_gateway_schema (version integer NOT NULL);", cancellationToken);
        int current;
        await using (var read = PostgresSessionStore.StartCommand("SELECT COALESCE(MAX(version), 0) FROM session_gateway_schema;", connection, transaction, MigrationTimeoutSeconds))
        {
            current = (int)(await read.ExecuteScalarAsync(cancellationToken))!;
        }

        if (current >= Migrations.Length)
        {
            // A newer gateway may have migrated further; its additions are additive, so this one keeps working.
            await transaction.CommitAsync(cancellationToken);
            return;
        }

        for (var version = current + 1; version <= Migrations.Length; version++)
        {
            await ExecuteAsync(connection, transaction, Migrations[version - 1], cancellationToken);
        }

        // PostgreSQL takes no parameters in a command of several statements; the version is our own integer.
        await ExecuteAsync(
            connection,
            transaction,
            string.Create(CultureInfo.InvariantCulture, $"DELETE FROM session_gateway_schema; INSERT INTO session_gateway_schema (version) VALUES ({Migrations.Length});"),
            cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = PostgresSessionStore.StartCommand(sql, connection, transaction, MigrationTimeoutSeconds);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
