using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SessionGateway.Keys;

namespace SessionGateway.Storage;

/// <summary>
/// SQLite backend: WAL journal with synchronous=NORMAL (a killed process loses no commit), one pooled
/// connection per operation, every write a single statement or one short IMMEDIATE transaction.
/// Times are stored as unix milliseconds. The file and its WAL and shared-memory files are readable by their owner
/// only (<see cref="SqliteFilePermissions"/>).
/// </summary>
internal sealed class SqliteSessionStore(SessionStoreOptions options, ILogger<SqliteSessionStore>? logger = null) : ISessionStore
{
    private readonly string _connectionString = BuildConnectionString(options.EffectiveConnectionString, options.BusyTimeout);
    private readonly string _openPragmas = string.Create(
        CultureInfo.InvariantCulture,
        $"PRAGMA synchronous=NORMAL; PRAGMA busy_timeout={(long)options.BusyTimeout.TotalMilliseconds}; PRAGMA foreign_keys=ON;");

    internal static string BuildConnectionString(string configured, TimeSpan? busyTimeout = null)
    {
        // A bare path is the common configuration; anything with '=' is taken as a full connection string.
        var builder = configured.Contains('=', StringComparison.Ordinal)
            ? new SqliteConnectionStringBuilder(configured)
            : new SqliteConnectionStringBuilder { DataSource = configured };
        builder.Pooling = true;
        if (busyTimeout is { } timeout)
        {
            // Microsoft.Data.Sqlite retries SQLITE_BUSY by itself until the command timeout (30 s by default),
            // whatever PRAGMA busy_timeout says; so the command timeout is what bounds a wait for the lock.
            // It counts whole seconds, and 0 would mean "wait forever".
            builder.DefaultTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds));
        }

        return builder.ConnectionString;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await connection.ExecuteAsync(new CommandDefinition(_openPragmas, cancellationToken: cancellationToken));
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        // Before the first open: SQLite would create the file 0644 and its WAL and shared-memory files alike.
        SqliteFilePermissions.Secure(_connectionString, (ILogger?)logger ?? NullLogger.Instance);
        await using var connection = await OpenAsync(cancellationToken);
        await SqliteSchema.MigrateAsync(connection, cancellationToken);
    }

    private const string InsertSession = """
        INSERT INTO sessions (handle, user_id, custom_claims, anti_csrf_token, current_hash, previous_hash, rotated_at, expires_at, created_at)
        VALUES (@Handle, @UserId, @CustomClaims, @AntiCsrfToken, @CurrentHash, @PreviousHash, @RotatedAt, @ExpiresAt, @CreatedAt);
        """;

    public async Task CreateAsync(SessionRecord session, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            InsertSession,
            new
            {
                session.Handle,
                session.UserId,
                CustomClaims = session.CustomClaimsJson,
                session.AntiCsrfToken,
                session.CurrentHash,
                session.PreviousHash,
                RotatedAt = session.RotatedAt?.ToUnixTimeMilliseconds(),
                ExpiresAt = session.ExpiresAt.ToUnixTimeMilliseconds(),
                CreatedAt = session.CreatedAt.ToUnixTimeMilliseconds(),
            },
            cancellationToken: cancellationToken));
    }

    private const string SessionColumns = """
        handle AS Handle, user_id AS UserId, custom_claims AS CustomClaims, anti_csrf_token AS AntiCsrfToken,
        current_hash AS CurrentHash, previous_hash AS PreviousHash, rotated_at AS RotatedAt,
        expires_at AS ExpiresAt, created_at AS CreatedAt
        """;

    private const string SelectSession = "SELECT " + SessionColumns + " FROM sessions WHERE handle = @Handle;";

    public async Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<SessionRow>(
            new CommandDefinition(SelectSession, new { Handle = handle }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    private const string RotateSession = """
        UPDATE sessions
        SET previous_hash = current_hash, current_hash = @NextHash, rotated_at = @Now,
            expires_at = CASE WHEN @Capped THEN MIN(@ExpiresAt, created_at + @MaxAge) ELSE @ExpiresAt END
        WHERE handle = @Handle AND current_hash = @PresentedHash AND expires_at > @Now
          AND COALESCE(rotated_at, created_at) > @ActiveAfter AND created_at > @CreatedAfter
        RETURNING
        """ + " " + SessionColumns + ";";

    public async Task<SessionRecord?> TryRotateAsync(
        string handle,
        string presentedHash,
        string nextHash,
        DateTimeOffset now,
        DateTimeOffset newExpiresAt,
        SessionLimits limits,
        CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition(
            RotateSession,
            new
            {
                Handle = handle,
                PresentedHash = presentedHash,
                NextHash = nextHash,
                Now = now.ToUnixTimeMilliseconds(),
                ExpiresAt = newExpiresAt.ToUnixTimeMilliseconds(),
                ActiveAfter = limits.ActiveAfter(now).ToUnixTimeMilliseconds(),
                CreatedAfter = limits.CreatedAfter(now).ToUnixTimeMilliseconds(),
                Capped = limits.AbsoluteLifetime is not null,
                MaxAge = (long)(limits.AbsoluteLifetime ?? TimeSpan.Zero).TotalMilliseconds,
            },
            cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    private const string DeleteSession = "DELETE FROM sessions WHERE handle = @Handle RETURNING user_id;";
    private const string DeleteForUser = "DELETE FROM sessions WHERE user_id = @UserId RETURNING handle;";
    private const string InsertRevocation = "INSERT INTO revocations (handle, refuse_until) VALUES (@Handle, @RefuseUntil);";
    private const string InsertEvent = """
        INSERT INTO session_events (kind, user_id, session_handle, occurred_at)
        VALUES (@Kind, @UserId, @Handle, @OccurredAt);
        """;

    public async Task<string?> RevokeAsync(string handle, DateTimeOffset refuseUntil, string auditKind, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var userId = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            DeleteSession, new { Handle = handle }, transaction, cancellationToken: cancellationToken));
        await RecordRevocationAsync(connection, transaction, handle, userId, refuseUntil, auditKind, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return userId;
    }

    public async Task<IReadOnlyList<string>> RevokeAllForUserAsync(string userId, DateTimeOffset refuseUntil, string auditKind, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var handles = (await connection.QueryAsync<string>(new CommandDefinition(
            DeleteForUser, new { UserId = userId }, transaction, cancellationToken: cancellationToken))).AsList();
        foreach (var handle in handles)
        {
            await RecordRevocationAsync(connection, transaction, handle, userId, refuseUntil, auditKind, now, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return handles;
    }

    private static async Task RecordRevocationAsync(
        SqliteConnection connection,
        SqliteTransaction transaction,
        string handle,
        string? userId,
        DateTimeOffset refuseUntil,
        string auditKind,
        DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await connection.ExecuteAsync(new CommandDefinition(
            InsertRevocation,
            new { Handle = handle, RefuseUntil = refuseUntil.ToUnixTimeMilliseconds() },
            transaction,
            cancellationToken: cancellationToken));
        if (userId is not null)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                InsertEvent,
                new { Kind = auditKind, UserId = userId, Handle = handle, OccurredAt = now.ToUnixTimeMilliseconds() },
                transaction,
                cancellationToken: cancellationToken));
        }
    }

    // Microsoft.Data.Sqlite begins IMMEDIATE transactions: the write lock is taken up front, never upgraded midway.
    private static async Task<SqliteTransaction> BeginWriteAsync(SqliteConnection connection, CancellationToken cancellationToken) =>
        (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);

    private const string SelectRevocations = """
        SELECT handle AS SessionHandle, refuse_until AS RefuseUntil FROM revocations WHERE refuse_until > @Now ORDER BY id;
        """;

    public async Task<IReadOnlyList<Revocation>> ListRevocationsAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string SessionHandle, long RefuseUntil)>(
            new CommandDefinition(SelectRevocations, new { Now = now.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
        var result = new List<Revocation>();
        foreach (var (sessionHandle, refuseUntil) in rows)
        {
            result.Add(new Revocation(sessionHandle, DateTimeOffset.FromUnixTimeMilliseconds(refuseUntil)));
        }

        return result;
    }

    private const string DeleteExpiredRevocations = """
        DELETE FROM revocations
        WHERE id IN (SELECT id FROM revocations WHERE refuse_until <= @Now LIMIT @BatchSize);
        """;

    public async Task<int> DeleteExpiredRevocationsAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            DeleteExpiredRevocations,
            new { Now = now.ToUnixTimeMilliseconds(), BatchSize = batchSize },
            cancellationToken: cancellationToken));
    }

    private const string SelectForUser = "SELECT " + SessionColumns + " FROM sessions WHERE user_id = @UserId ORDER BY created_at, handle;";

    public async Task<IReadOnlyList<SessionRecord>> ListForUserAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<SessionRow>(
            new CommandDefinition(SelectForUser, new { UserId = userId }, cancellationToken: cancellationToken));
        var result = new List<SessionRecord>();
        foreach (var row in rows)
        {
            result.Add(row.ToRecord());
        }

        return result;
    }

    // A bounded DELETE keeps each write transaction short so refreshes never queue behind a large sweep.
    private const string DeleteExpired = """
        DELETE FROM sessions
        WHERE rowid IN (SELECT rowid FROM sessions WHERE expires_at <= @Now LIMIT @BatchSize);
        """;

    public async Task<int> DeleteExpiredAsync(DateTimeOffset now, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            DeleteExpired,
            new { Now = now.ToUnixTimeMilliseconds(), BatchSize = batchSize },
            cancellationToken: cancellationToken));
    }

    private const string SelectEvents = """
        SELECT kind AS Kind, user_id AS UserId, session_handle AS SessionHandle, occurred_at AS OccurredAt
        FROM session_events WHERE user_id = @UserId ORDER BY id;
        """;

    public async Task<IReadOnlyList<SessionAuditEvent>> ListAuditEventsAsync(string userId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<EventRow>(
            new CommandDefinition(SelectEvents, new { UserId = userId }, cancellationToken: cancellationToken));
        var result = new List<SessionAuditEvent>();
        foreach (var row in rows)
        {
            result.Add(new SessionAuditEvent(row.Kind, row.UserId, row.SessionHandle, DateTimeOffset.FromUnixTimeMilliseconds(row.OccurredAt)));
        }

        return result;
    }

    private const string SelectKeys = """
        SELECT kid AS KeyId, algorithm AS Algorithm, private_key AS PrivateKey, created_at AS CreatedAt,
               signs_from AS SignsFrom, signs_until AS SignsUntil, verify_until AS VerifyUntil
        FROM signing_keys ORDER BY signs_from, kid;
        """;

    public async Task<IReadOnlyList<StoredSigningKey>> GetSigningKeysAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<KeyRow>(new CommandDefinition(SelectKeys, cancellationToken: cancellationToken));
        var result = new List<StoredSigningKey>();
        foreach (var row in rows)
        {
            if (!Enum.TryParse<SigningAlgorithm>(row.Algorithm, ignoreCase: false, out var algorithm))
            {
                // A key written by a newer version with an algorithm this one does not know: skip, do not fail.
                continue;
            }

            result.Add(new StoredSigningKey(
                row.KeyId,
                algorithm,
                row.PrivateKey,
                DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt),
                DateTimeOffset.FromUnixTimeMilliseconds(row.SignsFrom),
                DateTimeOffset.FromUnixTimeMilliseconds(row.SignsUntil),
                DateTimeOffset.FromUnixTimeMilliseconds(row.VerifyUntil)));
        }

        return result;
    }

    // One statement: SQLite serialises writers, so the check and the insert cannot interleave with another replica's.
    private const string InsertKey = """
        INSERT INTO signing_keys (kid, algorithm, private_key, created_at, signs_from, signs_until, verify_until)
        SELECT @KeyId, @Algorithm, @PrivateKey, @CreatedAt, @SignsFrom, @SignsUntil, @VerifyUntil
        WHERE NOT EXISTS (
            SELECT 1 FROM signing_keys
            WHERE algorithm = @Algorithm AND signs_from <= @GuardUntil AND signs_until > @GuardFrom)
        ON CONFLICT DO NOTHING;
        """;

    public async Task<bool> TryAddSigningKeyAsync(StoredSigningKey key, DateTimeOffset unlessSigningFrom, DateTimeOffset unlessSigningUntil, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            InsertKey,
            new
            {
                key.KeyId,
                Algorithm = key.Algorithm.ToString(),
                key.PrivateKey,
                CreatedAt = key.CreatedAt.ToUnixTimeMilliseconds(),
                SignsFrom = key.SignsFrom.ToUnixTimeMilliseconds(),
                SignsUntil = key.SignsUntil.ToUnixTimeMilliseconds(),
                VerifyUntil = key.VerifyUntil.ToUnixTimeMilliseconds(),
                GuardFrom = unlessSigningFrom.ToUnixTimeMilliseconds(),
                GuardUntil = unlessSigningUntil.ToUnixTimeMilliseconds(),
            },
            cancellationToken: cancellationToken));
        return changed == 1;
    }

    private const string ReplaceKey = "UPDATE signing_keys SET private_key = @PrivateKey WHERE kid = @KeyId AND private_key = @Expected;";

    public async Task<bool> TryReplaceSigningKeyAsync(string keyId, byte[] expected, byte[] privateKey, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            ReplaceKey, new { KeyId = keyId, Expected = expected, PrivateKey = privateKey }, cancellationToken: cancellationToken)) == 1;
    }

    private const string RetireKey =
        "UPDATE signing_keys SET private_key = @PrivateKey, signs_until = @SignsUntil, verify_until = @VerifyUntil WHERE kid = @KeyId AND private_key = @Expected;";

    public async Task<bool> TryRetireSigningKeyAsync(
        string keyId, byte[] expected, byte[] privateKey, DateTimeOffset signsUntil, DateTimeOffset verifyUntil, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);

        // secure_delete: the page that held the old value is overwritten with zeros rather than left as free space.
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA secure_delete=ON;", cancellationToken: cancellationToken));
        try
        {
            return await connection.ExecuteAsync(new CommandDefinition(
                RetireKey,
                new
                {
                    KeyId = keyId,
                    Expected = expected,
                    PrivateKey = privateKey,
                    SignsUntil = signsUntil.ToUnixTimeMilliseconds(),
                    VerifyUntil = verifyUntil.ToUnixTimeMilliseconds(),
                },
                cancellationToken: cancellationToken)) == 1;
        }
        finally
        {
            // The connection goes back to the pool: leave it as the others are.
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA secure_delete=OFF;", cancellationToken: CancellationToken.None));
        }
    }

    /// <summary>
    /// Rewrites the file so no freed page keeps an old value: the write-ahead log is checkpointed into the file and
    /// truncated, <c>VACUUM</c> rebuilds the file from live rows only (with <c>secure_delete</c> on), and the log it
    /// went through is checkpointed and truncated again. Takes the write lock for as long as the file takes to copy.
    /// </summary>
    public async Task EraseFreedSpaceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "PRAGMA secure_delete=ON; PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE); PRAGMA secure_delete=OFF;",
            cancellationToken: cancellationToken));
    }

    private const string DeleteRetiredKeys = "DELETE FROM signing_keys WHERE verify_until <= @Now;";

    public async Task<int> DeleteRetiredSigningKeysAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            DeleteRetiredKeys, new { Now = now.ToUnixTimeMilliseconds() }, cancellationToken: cancellationToken));
    }

    private const string InsertSecret = "INSERT INTO secrets (name, value) VALUES (@Name, @Value) ON CONFLICT (name) DO NOTHING;";
    private const string SelectSecret = "SELECT value FROM secrets WHERE name = @Name;";

    public async Task<byte[]> GetOrAddSecretAsync(string name, byte[] candidate, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            InsertSecret, new { Name = name, Value = candidate }, cancellationToken: cancellationToken));
        return await connection.QuerySingleAsync<byte[]>(
            new CommandDefinition(SelectSecret, new { Name = name }, cancellationToken: cancellationToken));
    }

    private const string ReplaceSecret = "UPDATE secrets SET value = @Value WHERE name = @Name AND value = @Expected;";

    public async Task<bool> TryReplaceSecretAsync(string name, byte[] expected, byte[] value, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            ReplaceSecret, new { Name = name, Expected = expected, Value = value }, cancellationToken: cancellationToken)) == 1;
    }

    /// <summary>Checks the file with <c>PRAGMA integrity_check</c>; used by tests and diagnostics.</summary>
    internal async Task<string> CheckIntegrityAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<string>(
            new CommandDefinition("PRAGMA integrity_check;", cancellationToken: cancellationToken)) ?? string.Empty;
    }

    /// <summary>Opens a raw connection with the store's pragmas; for diagnostics and tests only.</summary>
    internal Task<SqliteConnection> OpenConnectionAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    private sealed class SessionRow
    {
        public string Handle { get; init; } = "";
        public string UserId { get; init; } = "";
        public string CustomClaims { get; init; } = "{}";
        public string? AntiCsrfToken { get; init; }
        public string CurrentHash { get; init; } = "";
        public string? PreviousHash { get; init; }
        public long? RotatedAt { get; init; }
        public long ExpiresAt { get; init; }
        public long CreatedAt { get; init; }

        public SessionRecord ToRecord() => new(
            Handle,
            UserId,
            CustomClaims,
            AntiCsrfToken,
            CurrentHash,
            PreviousHash,
            RotatedAt is { } rotated ? DateTimeOffset.FromUnixTimeMilliseconds(rotated) : null,
            DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAt),
            DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }

    private sealed class EventRow
    {
        public string Kind { get; init; } = "";
        public string UserId { get; init; } = "";
        public string SessionHandle { get; init; } = "";
        public long OccurredAt { get; init; }
    }

    private sealed class KeyRow
    {
        public string KeyId { get; init; } = "";
        public string Algorithm { get; init; } = "";
        public byte[] PrivateKey { get; init; } = [];
        public long CreatedAt { get; init; }
        public long SignsFrom { get; init; }
        public long SignsUntil { get; init; }
        public long VerifyUntil { get; init; }
    }
}
