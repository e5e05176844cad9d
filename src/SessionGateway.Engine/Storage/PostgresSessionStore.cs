using System.Data.Common;
using System.Globalization;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using SessionGateway.Keys;

namespace SessionGateway.Storage;

/// <summary>
/// PostgreSQL backend for any number of replicas. Every write is one statement (data-modifying CTEs where a
/// write touches several tables), so it is atomic without an explicit transaction and costs one round trip.
/// Revocations are announced with <c>NOTIFY</c> in the same statement: it is delivered when, and only when,
/// the revocation commits.
/// </summary>
internal sealed class PostgresSessionStore : ISessionStore, IAsyncDisposable, IDisposable
{
    /// <summary>The <c>LISTEN/NOTIFY</c> channel; payload <c>"{refuse-until unix ms} {session handle}"</c>.</summary>
    internal const string RevocationChannel = "sessiongateway_revocations";

    private readonly NpgsqlDataSource _dataSource;
    private readonly string _listenerConnectionString;

    public PostgresSessionStore(SessionStoreOptions options)
    {
        var connectionString = BuildConnectionString(options.ConnectionString, options.BusyTimeout);
        _dataSource = NpgsqlDataSource.Create(connectionString);
        // The listener holds its connection for the process's life and must not hand a LISTENing connection
        // back to the pool: it gets one of its own.
        _listenerConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Multiplexing = false }.ConnectionString;
    }

    /// <summary>A new, unpooled connection for the revocation feed's <c>LISTEN</c>.</summary>
    internal NpgsqlConnection CreateListenerConnection() => new(_listenerConnectionString);

    /// <summary>
    /// The configured connection string with the gateway's defaults for what it leaves unset: connect and command
    /// timeouts from <see cref="SessionStoreOptions.BusyTimeout"/>, so an outage is a quick 503 rather than a hung
    /// request; automatic preparation of the few statements the store runs, kept across pool returns (the store
    /// never changes session state, so there is nothing to reset); an application name for <c>pg_stat_activity</c>.
    /// </summary>
    internal static string BuildConnectionString(string configured, TimeSpan busyTimeout)
    {
        var given = new DbConnectionStringBuilder { ConnectionString = configured };
        var builder = new NpgsqlConnectionStringBuilder(configured);
        var seconds = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds));
        if (!given.ContainsKey("Timeout"))
        {
            builder.Timeout = seconds;
        }

        if (!given.ContainsKey("Command Timeout") && !given.ContainsKey("CommandTimeout"))
        {
            builder.CommandTimeout = seconds;
        }

        if (!given.ContainsKey("Max Auto Prepare") && !given.ContainsKey("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 32;
        }

        if (!given.ContainsKey("No Reset On Close") && !given.ContainsKey("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        if (!given.ContainsKey("Application Name") && !given.ContainsKey("ApplicationName"))
        {
            builder.ApplicationName = "SessionGateway";
        }

        return builder.ConnectionString;
    }

    /// <summary>Where the store points, for messages: host, port and database, never credentials.</summary>
    internal static string Describe(string connectionString)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            return string.Create(CultureInfo.InvariantCulture, $"PostgreSQL at {builder.Host}:{builder.Port}, database '{builder.Database ?? builder.Username}'");
        }
        catch (ArgumentException)
        {
            return "PostgreSQL";
        }
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await PostgresSchema.MigrateAsync(connection, cancellationToken);
    }

    // The statements of the login and refresh path use positional parameters and typed values: Npgsql sends them as
    // they are (no rewriting of @names on every run, no boxing), and prepares them once per connection.
    private const string InsertSession = """
        INSERT INTO sessions (handle, user_id, custom_claims, anti_csrf_token, current_hash, previous_hash, rotated_at, expires_at, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);
        """;

    public async Task CreateAsync(SessionRecord session, AuditEntry created, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(InsertSession, connection);
            var parameters = command.Parameters;
            parameters.Add(new NpgsqlParameter<string> { TypedValue = session.Handle });
            parameters.Add(new NpgsqlParameter<string> { TypedValue = session.UserId });
            parameters.Add(new NpgsqlParameter<string> { TypedValue = session.CustomClaimsJson });
            parameters.Add(new NpgsqlParameter<string?> { TypedValue = session.AntiCsrfToken, NpgsqlDbType = NpgsqlDbType.Text });
            parameters.Add(new NpgsqlParameter<string> { TypedValue = session.CurrentHash });
            parameters.Add(new NpgsqlParameter<string?> { TypedValue = session.PreviousHash, NpgsqlDbType = NpgsqlDbType.Text });
            parameters.Add(new NpgsqlParameter<DateTimeOffset?> { TypedValue = session.RotatedAt, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = session.ExpiresAt });
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = session.CreatedAt });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (NpgsqlException) when (IsBroken(connection))
        {
            _dataSource.Clear();
            throw;
        }
    }

    private const string SessionColumns = """
        handle AS Handle, user_id AS UserId, custom_claims AS CustomClaims, anti_csrf_token AS AntiCsrfToken,
        current_hash AS CurrentHash, previous_hash AS PreviousHash, rotated_at AS RotatedAt,
        expires_at AS ExpiresAt, created_at AS CreatedAt
        """;

    private const string SelectSession = "SELECT " + SessionColumns + " FROM sessions WHERE handle = $1;";

    public async Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(SelectSession, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = handle });
            return await ReadSingleSessionAsync(command, cancellationToken);
        }
        catch (NpgsqlException) when (IsBroken(connection))
        {
            _dataSource.Clear();
            throw;
        }
    }

    // Two refreshes racing on one token: the second waits for the first's row lock, then re-checks the WHERE
    // against the committed row (READ COMMITTED), no longer matches and returns nothing. No fork is possible.
    // $1 handle, $2 presented hash, $3 next hash, $4 now, $5 new expiry, $6 active after, $7 created after,
    // $8 whether the absolute lifetime caps the expiry, $9 the absolute lifetime.
    private const string RotateSession = """
        UPDATE sessions
        SET previous_hash = current_hash, current_hash = $3, rotated_at = $4,
            expires_at = CASE WHEN $8 THEN LEAST($5, created_at + $9) ELSE $5 END
        WHERE handle = $1 AND current_hash = $2 AND expires_at > $4
          AND COALESCE(rotated_at, created_at) > $6 AND created_at > $7
        RETURNING
        """ + " " + SessionColumns + ";";

    public async Task<SessionRecord?> TryRotateAsync(
        string handle,
        string presentedHash,
        string nextHash,
        DateTimeOffset now,
        DateTimeOffset newExpiresAt,
        SessionLimits limits,
        ClientInfo? client,
        CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(RotateSession, connection);
            var parameters = command.Parameters;
            parameters.Add(new NpgsqlParameter<string> { TypedValue = handle });
            parameters.Add(new NpgsqlParameter<string> { TypedValue = presentedHash });
            parameters.Add(new NpgsqlParameter<string> { TypedValue = nextHash });
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = newExpiresAt });
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = limits.ActiveAfter(now) });
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = limits.CreatedAfter(now) });
            parameters.Add(new NpgsqlParameter<bool> { TypedValue = limits.AbsoluteLifetime is not null });
            parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = limits.AbsoluteLifetime ?? TimeSpan.Zero });
            return await ReadSingleSessionAsync(command, cancellationToken);
        }
        catch (NpgsqlException) when (IsBroken(connection))
        {
            _dataSource.Clear();
            throw;
        }
    }

    /// <summary>The one session row <paramref name="command"/> returns (columns as <see cref="SessionColumns"/>), or null.</summary>
    private static async Task<SessionRecord?> ReadSingleSessionAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        SessionRecord? record = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            record ??= new SessionRecord(
                reader.GetString(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? null : Utc(reader.GetDateTime(6)),
                Utc(reader.GetDateTime(7)),
                Utc(reader.GetDateTime(8)));
        }

        return record;
    }

    // Data-modifying CTEs all run, read or not, in the statement's one implicit transaction.
    private const string RevokeSession = $"""
        WITH deleted AS (
            DELETE FROM sessions WHERE handle = @Handle RETURNING user_id
        ), revoked AS (
            INSERT INTO revocations (handle, refuse_until) VALUES (@Handle, @RefuseUntil)
        ), audited AS (
            INSERT INTO session_events (kind, user_id, session_handle, occurred_at)
            SELECT @Kind, user_id, @Handle, @Now FROM deleted
        )
        SELECT (SELECT user_id FROM deleted), pg_notify('{RevocationChannel}', @Payload);
        """;

    public Task<string?> RevokeAsync(string handle, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) => UseAsync(
        connection => connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            RevokeSession,
            new { Handle = handle, RefuseUntil = refuseUntil, Kind = audit.Kind, Now = audit.OccurredAt, Payload = NotificationPayload(refuseUntil, handle) },
            cancellationToken: cancellationToken)),
        cancellationToken);

    private const string RevokeForUser = $"""
        WITH deleted AS (
            DELETE FROM sessions WHERE user_id = @UserId RETURNING handle
        ), revoked AS (
            INSERT INTO revocations (handle, refuse_until) SELECT handle, @RefuseUntil FROM deleted
        ), audited AS (
            INSERT INTO session_events (kind, user_id, session_handle, occurred_at)
            SELECT @Kind, @UserId, handle, @Now FROM deleted
        )
        SELECT handle, pg_notify('{RevocationChannel}', @RefuseUntilMs::text || ' ' || handle) FROM deleted;
        """;

    public Task<IReadOnlyList<string>> RevokeAllForUserAsync(
        string userId, DateTimeOffset refuseUntil, AuditEntry audit, Func<string>? webhookId, CancellationToken cancellationToken) => UseAsync<IReadOnlyList<string>>(
        async connection =>
        {
            var handles = await connection.QueryAsync<string>(new CommandDefinition(
                RevokeForUser,
                new { UserId = userId, RefuseUntil = refuseUntil, RefuseUntilMs = refuseUntil.ToUnixTimeMilliseconds(), Kind = audit.Kind, Now = audit.OccurredAt },
                cancellationToken: cancellationToken));
            return handles.AsList();
        },
        cancellationToken);

    internal static string NotificationPayload(DateTimeOffset refuseUntil, string handle) =>
        refuseUntil.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + " " + handle;

    /// <summary>Reads a <see cref="RevocationChannel"/> payload; false for anything else (never throws).</summary>
    internal static bool TryParseNotification(string payload, out Revocation revocation)
    {
        revocation = null!;
        var space = payload.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || space == payload.Length - 1 ||
            !long.TryParse(payload.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var until) ||
            until > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return false;
        }

        revocation = new Revocation(payload[(space + 1)..], DateTimeOffset.FromUnixTimeMilliseconds(until));
        return true;
    }

    private const string SelectRevocations = """
        SELECT handle, refuse_until FROM revocations WHERE refuse_until > $1 ORDER BY id;
        """;

    public Task<IReadOnlyList<Revocation>> ListRevocationsAsync(DateTimeOffset now, CancellationToken cancellationToken) => UseAsync<IReadOnlyList<Revocation>>(
        async connection =>
        {
            // Read at every start: a plain command (see StartCommand).
            await using var command = StartCommand(SelectRevocations, connection);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var result = new List<Revocation>();
            while (await reader.ReadAsync(cancellationToken))
            {
                result.Add(new Revocation(reader.GetString(0), Utc(reader.GetDateTime(1))));
            }

            return result;
        },
        cancellationToken);

    private const string SelectForUser = "SELECT " + SessionColumns + " FROM sessions WHERE user_id = @UserId ORDER BY created_at, handle;";

    public Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string userId, CancellationToken cancellationToken) => UseAsync<IReadOnlyList<SessionRecord>>(
        async connection =>
        {
            var rows = await connection.QueryAsync<SessionRow>(
                new CommandDefinition(SelectForUser, new { UserId = userId }, cancellationToken: cancellationToken));
            var result = new List<SessionRecord>();
            foreach (var row in rows)
            {
                result.Add(row.ToRecord());
            }

            return result;
        },
        cancellationToken);

    // SKIP LOCKED: replicas sweeping at the same moment take different rows instead of queueing on each other.
    private const string DeleteExpired = """
        DELETE FROM sessions
        WHERE handle IN (SELECT handle FROM sessions WHERE expires_at <= @Now LIMIT @BatchSize FOR UPDATE SKIP LOCKED);
        """;

    public Task<int> DeleteExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) => UseAsync(
        connection => connection.ExecuteAsync(new CommandDefinition(
            DeleteExpired, new { Now = now, BatchSize = batchSize }, cancellationToken: cancellationToken)),
        cancellationToken);

    private const string DeleteExpiredRevocations = """
        DELETE FROM revocations
        WHERE id IN (SELECT id FROM revocations WHERE refuse_until <= @Now LIMIT @BatchSize FOR UPDATE SKIP LOCKED);
        """;

    public Task<int> DeleteExpiredRevocationsAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken) => UseAsync(
        connection => connection.ExecuteAsync(new CommandDefinition(
            DeleteExpiredRevocations, new { Now = now, BatchSize = batchSize }, cancellationToken: cancellationToken)),
        cancellationToken);

    private const string SelectEvents = """
        SELECT kind AS Kind, user_id AS UserId, session_handle AS SessionHandle, occurred_at AS OccurredAt
        FROM session_events WHERE user_id = @UserId ORDER BY id;
        """;

    public Task<IReadOnlyList<SessionAuditEvent>> ListAuditEventsAsync(string userId, CancellationToken cancellationToken) => UseAsync<IReadOnlyList<SessionAuditEvent>>(
        async connection =>
        {
            var rows = await connection.QueryAsync<(string Kind, string UserId, string SessionHandle, DateTime OccurredAt)>(
                new CommandDefinition(SelectEvents, new { UserId = userId }, cancellationToken: cancellationToken));
            var result = new List<SessionAuditEvent>();
            foreach (var (kind, user, handle, occurredAt) in rows)
            {
                result.Add(new SessionAuditEvent(kind, user, handle, Utc(occurredAt)));
            }

            return result;
        },
        cancellationToken);

    // TODO(issue 13, store helper): implement; placeholders so the solution compiles while the verbs are built.
    public Task<bool> RevokeOwnedAsync(string handle, string userId, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<IReadOnlyList<SessionAuditEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<int> DeleteEventsBeforeAsync(DateTimeOffset before, int batchSize, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task<IReadOnlyList<QueuedWebhook>> TakeWebhooksAsync(DateTimeOffset now, DateTimeOffset takenUntil, int max, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task CompleteWebhookAsync(string webhookId, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    public Task RescheduleWebhookAsync(string webhookId, int attempts, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken) =>
        throw new NotImplementedException();

    private const string SelectKeys = """
        SELECT kid, algorithm, private_key, created_at, signs_from, signs_until, verify_until
        FROM signing_keys ORDER BY signs_from, kid;
        """;

    public Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(CancellationToken cancellationToken) => UseAsync<IReadOnlyList<StoredSigningKey>>(
        async connection =>
        {
            // Read at every start and key refresh: a plain command (see StartCommand).
            await using var command = StartCommand(SelectKeys, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var result = new List<StoredSigningKey>();
            while (await reader.ReadAsync(cancellationToken))
            {
                if (!Enum.TryParse<SigningAlgorithm>(reader.GetString(1), ignoreCase: false, out var algorithm))
                {
                    // A key written by a newer version with an algorithm this one does not know: skip, do not fail.
                    continue;
                }

                result.Add(new StoredSigningKey(
                    reader.GetString(0),
                    algorithm,
                    reader.GetFieldValue<byte[]>(2),
                    Utc(reader.GetDateTime(3)),
                    Utc(reader.GetDateTime(4)),
                    Utc(reader.GetDateTime(5)),
                    Utc(reader.GetDateTime(6))));
            }

            return result;
        },
        cancellationToken);

    // READ COMMITTED would let two replicas both see "no key" and both insert: the advisory lock, held to the end of
    // the transaction, makes the second wait and then see the first's key.
    private const long KeyScheduleLock = 0x5365_7373_4757_0002;

    private const string InsertKey = """
        INSERT INTO signing_keys (kid, algorithm, private_key, created_at, signs_from, signs_until, verify_until)
        SELECT @KeyId, @Algorithm, @PrivateKey, @CreatedAt, @SignsFrom, @SignsUntil, @VerifyUntil
        WHERE NOT EXISTS (
            SELECT 1 FROM signing_keys
            WHERE algorithm = @Algorithm AND signs_from <= @GuardUntil AND signs_until > @GuardFrom)
        ON CONFLICT DO NOTHING;
        """;

    public Task<bool> TryAddSigningKeyAsync(StoredSigningKey key, DateTimeOffset unlessSigningFrom, DateTimeOffset unlessSigningUntil, CancellationToken cancellationToken) => UseAsync(
        async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(
                "SELECT pg_advisory_xact_lock(@Lock);", new { Lock = KeyScheduleLock }, transaction, cancellationToken: cancellationToken));
            var changed = await connection.ExecuteAsync(new CommandDefinition(
                InsertKey,
                new
                {
                    key.KeyId,
                    Algorithm = key.Algorithm.ToString(),
                    key.PrivateKey,
                    key.CreatedAt,
                    key.SignsFrom,
                    key.SignsUntil,
                    key.VerifyUntil,
                    GuardFrom = unlessSigningFrom,
                    GuardUntil = unlessSigningUntil,
                },
                transaction,
                cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return changed == 1;
        },
        cancellationToken);

    private const string ReplaceKey = "UPDATE signing_keys SET private_key = @PrivateKey WHERE kid = @KeyId AND private_key = @Expected;";

    public Task<bool> TryReplaceSigningKeyAsync(string keyId, byte[] expected, byte[] privateKey, CancellationToken cancellationToken) => UseAsync(
        async connection => await connection.ExecuteAsync(new CommandDefinition(
            ReplaceKey, new { KeyId = keyId, Expected = expected, PrivateKey = privateKey }, cancellationToken: cancellationToken)) == 1,
        cancellationToken);

    private const string RetireKey =
        "UPDATE signing_keys SET private_key = @PrivateKey, signs_until = @SignsUntil, verify_until = @VerifyUntil WHERE kid = @KeyId AND private_key = @Expected;";

    public Task<bool> TryRetireSigningKeyAsync(
        string keyId, byte[] expected, byte[] privateKey, DateTimeOffset signsUntil, DateTimeOffset verifyUntil, CancellationToken cancellationToken) => UseAsync(
        async connection => await connection.ExecuteAsync(new CommandDefinition(
            RetireKey,
            new { KeyId = keyId, Expected = expected, PrivateKey = privateKey, SignsUntil = signsUntil, VerifyUntil = verifyUntil },
            cancellationToken: cancellationToken)) == 1,
        cancellationToken);

    /// <summary>
    /// Nothing: PostgreSQL keeps an updated row's old version until VACUUM reclaims the space (and even then does not
    /// zero it), and its WAL and archives keep it until recycled. No statement of this connection can erase them;
    /// docs/security.md says what the operator can do and why the early retirement of clear keys bounds the harm.
    /// </summary>
    public Task EraseFreedSpaceAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private const string Ping = "SELECT count(*) FROM secrets;";

    public Task PingAsync(CancellationToken cancellationToken) => UseAsync(
        async connection =>
        {
            await using var command = StartCommand(Ping, connection);
            return await command.ExecuteScalarAsync(cancellationToken);
        },
        cancellationToken);

    private const string DeleteRetiredKeys = "DELETE FROM signing_keys WHERE verify_until <= $1;";

    public Task<int> DeleteRetiredSigningKeysAsync(DateTimeOffset now, CancellationToken cancellationToken) => UseAsync(
        async connection =>
        {
            // Run at every start and key refresh: a plain command (see StartCommand).
            await using var command = StartCommand(DeleteRetiredKeys, connection);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
            return await command.ExecuteNonQueryAsync(cancellationToken);
        },
        cancellationToken);

    private const string InsertSecret = "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING;";
    private const string SelectSecret = "SELECT value FROM secrets WHERE name = $1;";

    public Task<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken) => UseAsync(
        async connection =>
        {
            // Run at every start: plain commands (see StartCommand). Read first: the secret exists from the first start
            // on. Otherwise two statements: the second SELECT takes a fresh snapshot, so it sees a value another
            // replica committed while this INSERT waited on it.
            if (await ReadSecretAsync(connection, name, cancellationToken) is { } stored)
            {
                return stored;
            }

            await using (var insert = StartCommand(InsertSecret, connection))
            {
                insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
                insert.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = candidate });
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            return await ReadSecretAsync(connection, name, cancellationToken)
                ?? throw new InvalidOperationException("The refresh-token secret vanished right after it was stored.");
        },
        cancellationToken);

    private static async Task<byte[]?> ReadSecretAsync(NpgsqlConnection connection, string name, CancellationToken cancellationToken)
    {
        await using var select = StartCommand(SelectSecret, connection);
        select.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
        return await select.ExecuteScalarAsync(cancellationToken) as byte[];
    }

    /// <summary>
    /// A command for the statements every start runs (schema check, the secret, the keys, the revocations), run with
    /// positional parameters and no Dapper: its first use of a statement emits and JIT-compiles a parameter writer and
    /// a row reader, and its first use at all compiles a regular expression, tens of milliseconds of a start.
    /// </summary>
    internal static NpgsqlCommand StartCommand(string sql, NpgsqlConnection connection, NpgsqlTransaction? transaction = null, int? timeoutSeconds = null)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        if (timeoutSeconds is { } timeout)
        {
            command.CommandTimeout = timeout;
        }

        return command;
    }

    private const string ReplaceSecret = "UPDATE secrets SET value = @Value WHERE name = @Name AND value = @Expected;";

    public Task<bool> TryReplaceSecretAsync(string name, byte[] expected, byte[] value, CancellationToken cancellationToken) => UseAsync(
        async connection => await connection.ExecuteAsync(new CommandDefinition(
            ReplaceSecret, new { Name = name, Expected = expected, Value = value }, cancellationToken: cancellationToken)) == 1,
        cancellationToken);

    /// <summary>
    /// Runs <paramref name="work"/> on a pooled connection. When the connection turns out dead (the server restarted
    /// or failed over), every idle connection in the pool is as dead as this one: the pool is emptied at once, so
    /// the requests after the server is back each get a fresh connection rather than one 503 each.
    /// </summary>
    private async Task<T> UseAsync<T>(Func<NpgsqlConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            return await work(connection);
        }
        catch (NpgsqlException) when (IsBroken(connection))
        {
            _dataSource.Clear();
            throw;
        }
    }

    private static bool IsBroken(NpgsqlConnection connection) =>
        connection.FullState.HasFlag(System.Data.ConnectionState.Broken) || connection.State != System.Data.ConnectionState.Open;

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    public void Dispose() => _dataSource.Dispose();

    // timestamptz arrives as a UTC DateTime.
    private static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));

    private sealed class SessionRow
    {
        public string Handle { get; init; } = "";
        public string UserId { get; init; } = "";
        public string CustomClaims { get; init; } = "{}";
        public string? AntiCsrfToken { get; init; }
        public string CurrentHash { get; init; } = "";
        public string? PreviousHash { get; init; }
        public DateTime? RotatedAt { get; init; }
        public DateTime ExpiresAt { get; init; }
        public DateTime CreatedAt { get; init; }

        public SessionRecord ToRecord() => new(
            Handle,
            UserId,
            CustomClaims,
            AntiCsrfToken,
            CurrentHash,
            PreviousHash,
            RotatedAt is { } rotated ? Utc(rotated) : null,
            Utc(ExpiresAt),
            Utc(CreatedAt));
    }

}
