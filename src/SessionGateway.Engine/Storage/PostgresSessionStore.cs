using System.Data.Common;
using System.Globalization;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using SessionGateway.Keys;

namespace SessionGateway.Storage;

/// <summary>
/// PostgreSQL backend for any number of replicas. Every write is one statement (data-modifying CTEs where a
/// write touches several tables), so it is atomic without an explicit transaction and costs one round trip; the
/// exceptions are rare paths (revoking all of a user's sessions with webhooks: their ids are made once the sessions
/// are known, in a second statement of one transaction; an outbox row whose event was deleted by hand).
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
            // Npgsql refuses a connect timeout over 1024 s; a longer BusyTimeout still bounds the commands.
            builder.Timeout = Math.Min(seconds, 1024);
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
    // One statement, one round trip: the session, its "created" event and, when $16 (the webhook id) is set, the outbox
    // row, all in the statement's implicit transaction. $10, $11 the client at login; $12 the event's kind, $13 its
    // time, $14, $15 its client.
    private const string InsertSession = """
        WITH created AS (
            INSERT INTO sessions (handle, user_id, custom_claims, anti_csrf_token, current_hash, previous_hash, rotated_at, expires_at, created_at,
                                  created_address, created_user_agent)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ), audited AS (
            INSERT INTO session_events (kind, user_id, session_handle, occurred_at, client_address, user_agent)
            VALUES ($12, $2, $1, $13, $14, $15)
            RETURNING id
        )
        INSERT INTO webhook_outbox (webhook_id, event_id, attempts, next_attempt_at, taken_until)
        SELECT $16, id, 0, $13, NULL FROM audited WHERE $16 IS NOT NULL;
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
            parameters.Add(new NpgsqlParameter<string?> { TypedValue = session.CreatedBy?.Address, NpgsqlDbType = NpgsqlDbType.Text });
            parameters.Add(new NpgsqlParameter<string?> { TypedValue = session.CreatedBy?.UserAgent, NpgsqlDbType = NpgsqlDbType.Text });
            parameters.Add(new NpgsqlParameter<string> { TypedValue = created.Kind });
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = created.OccurredAt });
            parameters.Add(new NpgsqlParameter<string?> { TypedValue = created.Client?.Address, NpgsqlDbType = NpgsqlDbType.Text });
            parameters.Add(new NpgsqlParameter<string?> { TypedValue = created.Client?.UserAgent, NpgsqlDbType = NpgsqlDbType.Text });
            parameters.Add(new NpgsqlParameter<string?> { TypedValue = created.WebhookId, NpgsqlDbType = NpgsqlDbType.Text });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (NpgsqlException) when (IsBroken(connection))
        {
            _dataSource.Clear();
            throw;
        }
    }

    private const string RotatedColumns = """
        handle AS Handle, user_id AS UserId, custom_claims AS CustomClaims, anti_csrf_token AS AntiCsrfToken,
        current_hash AS CurrentHash, previous_hash AS PreviousHash, rotated_at AS RotatedAt,
        expires_at AS ExpiresAt, created_at AS CreatedAt
        """;

    private const string SessionColumns = RotatedColumns + """
        , created_address AS CreatedAddress, created_user_agent AS CreatedUserAgent,
        refreshed_address AS RefreshedAddress, refreshed_user_agent AS RefreshedUserAgent
        """;

    private const string SelectSession = "SELECT " + SessionColumns + " FROM sessions WHERE handle = $1;";

    public async Task<SessionRecord?> FindAsync(string handle, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand(SelectSession, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = handle });
            return await ReadSingleSessionAsync(command, withClients: true, refreshedBy: null, cancellationToken);
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
    // $8 whether the absolute lifetime caps the expiry, $9 the absolute lifetime, $10 and $11 the refresh's client.
    private const string RotateSession = """
        UPDATE sessions
        SET previous_hash = current_hash, current_hash = $3, rotated_at = $4,
            expires_at = CASE WHEN $8 THEN LEAST($5, created_at + $9) ELSE $5 END,
            refreshed_address = $10, refreshed_user_agent = $11
        WHERE handle = $1 AND current_hash = $2 AND expires_at > $4
          AND COALESCE(rotated_at, created_at) > $6 AND created_at > $7
        RETURNING
        """ + " " + RotatedColumns + ";";

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
            parameters.Add(new NpgsqlParameter<string?> { TypedValue = client?.Address, NpgsqlDbType = NpgsqlDbType.Text });
            parameters.Add(new NpgsqlParameter<string?> { TypedValue = client?.UserAgent, NpgsqlDbType = NpgsqlDbType.Text });
            // The login client is not read back (the refresh path does not need it); the refresh client is the one bound.
            return await ReadSingleSessionAsync(command, withClients: false, refreshedBy: client, cancellationToken);
        }
        catch (NpgsqlException) when (IsBroken(connection))
        {
            _dataSource.Clear();
            throw;
        }
    }

    /// <summary>
    /// The one session row <paramref name="command"/> returns (columns as <see cref="SessionColumns"/>, or as
    /// <see cref="RotatedColumns"/> without <paramref name="withClients"/>: then the refresh client is
    /// <paramref name="refreshedBy"/> and the login client is not read), or null.
    /// </summary>
    private static async Task<SessionRecord?> ReadSingleSessionAsync(NpgsqlCommand command, bool withClients, ClientInfo? refreshedBy, CancellationToken cancellationToken)
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
                Utc(reader.GetDateTime(8)))
            {
                CreatedBy = withClients ? ClientInfo.Of(NullableText(reader, 9), NullableText(reader, 10)) : null,
                RefreshedBy = withClients ? ClientInfo.Of(NullableText(reader, 11), NullableText(reader, 12)) : refreshedBy,
            };
        }

        return record;
    }

    private static string? NullableText(DbDataReader reader, int column) => reader.IsDBNull(column) ? null : reader.GetString(column);

    // Data-modifying CTEs all run, read or not, in the statement's one implicit transaction.
    private const string RevokeSession = $"""
        WITH deleted AS (
            DELETE FROM sessions WHERE handle = @Handle RETURNING user_id
        ), revoked AS (
            INSERT INTO revocations (handle, refuse_until) VALUES (@Handle, @RefuseUntil)
        ), audited AS (
            INSERT INTO session_events (kind, user_id, session_handle, occurred_at, client_address, user_agent)
            SELECT @Kind, user_id, @Handle, @Now, @ClientAddress, @UserAgent FROM deleted
            RETURNING id
        ), queued AS (
            INSERT INTO webhook_outbox (webhook_id, event_id, attempts, next_attempt_at, taken_until)
            SELECT @WebhookId, id, 0, @Now, NULL FROM audited WHERE @WebhookId::text IS NOT NULL
        )
        SELECT (SELECT user_id FROM deleted), pg_notify('{RevocationChannel}', @Payload);
        """;

    public Task<string?> RevokeAsync(string handle, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) => UseAsync(
        connection => connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            RevokeSession,
            new
            {
                Handle = handle,
                RefuseUntil = refuseUntil,
                Kind = audit.Kind,
                Now = audit.OccurredAt,
                ClientAddress = audit.Client?.Address,
                UserAgent = audit.Client?.UserAgent,
                audit.WebhookId,
                Payload = NotificationPayload(refuseUntil, handle),
            },
            cancellationToken: cancellationToken)),
        cancellationToken);

    // As RevokeSession, but every part hangs off the deleted row: when the session is not this user's (or unknown), the
    // statement writes nothing and announces nothing.
    private const string RevokeOwnedSession = $"""
        WITH deleted AS (
            DELETE FROM sessions WHERE handle = @Handle AND user_id = @UserId RETURNING handle, user_id
        ), revoked AS (
            INSERT INTO revocations (handle, refuse_until) SELECT handle, @RefuseUntil FROM deleted
        ), audited AS (
            INSERT INTO session_events (kind, user_id, session_handle, occurred_at, client_address, user_agent)
            SELECT @Kind, user_id, handle, @Now, @ClientAddress, @UserAgent FROM deleted
            RETURNING id
        ), queued AS (
            INSERT INTO webhook_outbox (webhook_id, event_id, attempts, next_attempt_at, taken_until)
            SELECT @WebhookId, id, 0, @Now, NULL FROM audited WHERE @WebhookId::text IS NOT NULL
        )
        SELECT handle, pg_notify('{RevocationChannel}', @Payload) FROM deleted;
        """;

    public Task<bool> RevokeOwnedAsync(string handle, string userId, DateTimeOffset refuseUntil, AuditEntry audit, CancellationToken cancellationToken) => UseAsync(
        async connection => await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
            RevokeOwnedSession,
            new
            {
                Handle = handle,
                UserId = userId,
                RefuseUntil = refuseUntil,
                Kind = audit.Kind,
                Now = audit.OccurredAt,
                ClientAddress = audit.Client?.Address,
                UserAgent = audit.Client?.UserAgent,
                audit.WebhookId,
                Payload = NotificationPayload(refuseUntil, handle),
            },
            cancellationToken: cancellationToken)) is not null,
        cancellationToken);

    private const string RevokeForUser = $"""
        WITH deleted AS (
            DELETE FROM sessions WHERE user_id = @UserId RETURNING handle
        ), revoked AS (
            INSERT INTO revocations (handle, refuse_until) SELECT handle, @RefuseUntil FROM deleted
        ), audited AS (
            INSERT INTO session_events (kind, user_id, session_handle, occurred_at, client_address, user_agent)
            SELECT @Kind, @UserId, handle, @Now, @ClientAddress, @UserAgent FROM deleted
            RETURNING id, session_handle
        )
        SELECT a.session_handle AS Handle, a.id AS EventId, pg_notify('{RevocationChannel}', @RefuseUntilMs::text || ' ' || a.session_handle) AS Notified
        FROM audited a;
        """;

    private const string QueueWebhooks = """
        INSERT INTO webhook_outbox (webhook_id, event_id, attempts, next_attempt_at, taken_until)
        SELECT webhook_id, event_id, 0, $1, NULL FROM unnest($2::text[], $3::bigint[]) AS queued (webhook_id, event_id);
        """;

    public Task<IReadOnlyList<string>> RevokeAllForUserAsync(
        string userId, DateTimeOffset refuseUntil, AuditEntry audit, Func<string>? webhookId, CancellationToken cancellationToken) => UseAsync<IReadOnlyList<string>>(
        async connection =>
        {
            // How many sessions there are is known only once they are deleted, so each one's webhook id is made then
            // and the outbox rows written by a second statement of the same transaction (the notifications go out at
            // its commit). Without webhooks: the one statement.
            await using var transaction = webhookId is null ? null : await connection.BeginTransactionAsync(cancellationToken);
            var rows = (await connection.QueryAsync<(string Handle, long EventId, object? Notified)>(new CommandDefinition(
                RevokeForUser,
                new
                {
                    UserId = userId,
                    RefuseUntil = refuseUntil,
                    RefuseUntilMs = refuseUntil.ToUnixTimeMilliseconds(),
                    Kind = audit.Kind,
                    Now = audit.OccurredAt,
                    ClientAddress = audit.Client?.Address,
                    UserAgent = audit.Client?.UserAgent,
                },
                transaction,
                cancellationToken: cancellationToken))).AsList();
            if (transaction is not null)
            {
                if (rows.Count > 0)
                {
                    var webhookIds = new string[rows.Count];
                    var eventIds = new long[rows.Count];
                    for (var i = 0; i < rows.Count; i++)
                    {
                        webhookIds[i] = webhookId!();
                        eventIds[i] = rows[i].EventId;
                    }

                    await using var queue = new NpgsqlCommand(QueueWebhooks, connection, transaction);
                    queue.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = audit.OccurredAt });
                    queue.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = webhookIds });
                    queue.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = eventIds });
                    await queue.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
            }

            return rows.ConvertAll(row => row.Handle);
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

    private const string EventColumns = "id, kind, user_id, session_handle, occurred_at, client_address, user_agent, xact";

    private const string SelectEvents = "SELECT " + EventColumns + " FROM session_events WHERE user_id = $1 ORDER BY id;";

    public Task<IReadOnlyList<SessionAuditEvent>> ListAuditEventsAsync(string userId, CancellationToken cancellationToken) => UseAsync<IReadOnlyList<SessionAuditEvent>>(
        async connection =>
        {
            await using var command = new NpgsqlCommand(SelectEvents, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = userId });
            return await ReadEventsAsync(command, cancellationToken);
        },
        cancellationToken);

    // Events are listed in the order of the transactions that wrote them (xact, then id), and only those of
    // transactions below the statement snapshot's xmin: every transaction that can still commit an event has an id at or
    // above it (the running ones, and every later one), so no event can ever appear before one this lists, and a cursor
    // never passes an event that is yet to show. The cost: an event shows once every transaction that began before its
    // own has ended: at once, normally; a long transaction anywhere in the cluster holds the trail back until it ends.
    // The query reads the xmin as its last column, and filters by it here: a page cut short by it is retried after a
    // short wait (the writes of the gateway take milliseconds; an admin who revoked a session sees its event).
    private const string Barrier = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

    // Waits (real time: they are for other transactions in the database, not for the gateway's clock) before listing
    // again when the page stopped at a transaction still running: about 0.6 s in all, then the page as it is.
    private static readonly TimeSpan[] BarrierWaits = [.. new[] { 10, 20, 40, 80, 160, 320 }.Select(ms => TimeSpan.FromMilliseconds(ms))];

    public async Task<IReadOnlyList<SessionAuditEvent>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var (events, cut) = await UseAsync(connection => ListEventsOnceAsync(connection, query, cancellationToken), cancellationToken);
            if (!cut || attempt == BarrierWaits.Length)
            {
                return events;
            }

            await Task.Delay(BarrierWaits[attempt], TimeProvider.System, cancellationToken);
        }
    }

    /// <summary>A page, and whether it was cut short at the snapshot's xmin (committed events past it were left out).</summary>
    private static async Task<(IReadOnlyList<SessionAuditEvent> Events, bool Cut)> ListEventsOnceAsync(
        NpgsqlConnection connection, EventQuery query, CancellationToken cancellationToken)
    {
        // Only the filters asked for, so each page is a range scan of the (xact, id) index (or of the time index).
        await using var command = new NpgsqlCommand { Connection = connection };
        var parameters = command.Parameters;
        var sql = new System.Text.StringBuilder("SELECT ").Append(EventColumns).Append(", ").Append(Barrier).Append(" FROM session_events");
        if (query.After.Position is { } position)
        {
            parameters.Add(new NpgsqlParameter<long> { TypedValue = position });
            parameters.Add(new NpgsqlParameter<long> { TypedValue = query.After.Id });
            sql.Append(" WHERE (xact, id) > ($1, $2)");
        }
        else
        {
            // A bare id (a cursor from before positions): what the id order had after it; the next cursor is a pair.
            parameters.Add(new NpgsqlParameter<long> { TypedValue = query.After.Id });
            sql.Append(" WHERE id > $1");
        }

        if (query.Since is { } since)
        {
            parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = since });
            sql.Append(CultureInfo.InvariantCulture, $" AND occurred_at >= ${parameters.Count}");
        }

        if (query.Kinds is { } kinds)
        {
            parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. kinds] });
            sql.Append(CultureInfo.InvariantCulture, $" AND kind = ANY(${parameters.Count})");
        }

        if (query.UserId is { } userId)
        {
            parameters.Add(new NpgsqlParameter<string> { TypedValue = userId });
            sql.Append(CultureInfo.InvariantCulture, $" AND user_id = ${parameters.Count}");
        }

        parameters.Add(new NpgsqlParameter<int> { TypedValue = Math.Max(0, query.Limit) });
        sql.Append(CultureInfo.InvariantCulture, $" ORDER BY xact, id LIMIT ${parameters.Count};");
        command.CommandText = sql.ToString();

        // In (xact, id) order, so the events below the xmin are a prefix of the rows.
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<SessionAuditEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var e = ReadEvent(reader, 0);
            if (e.Position >= reader.GetInt64(8))
            {
                return (result, true);
            }

            result.Add(e);
        }

        return (result, false);
    }

    /// <summary>The events <paramref name="command"/> returns, columns as <see cref="EventColumns"/>.</summary>
    private static async Task<IReadOnlyList<SessionAuditEvent>> ReadEventsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<SessionAuditEvent>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(ReadEvent(reader, 0));
        }

        return result;
    }

    /// <summary>An event from the columns of <see cref="EventColumns"/>, starting at <paramref name="first"/>.</summary>
    private static SessionAuditEvent ReadEvent(DbDataReader reader, int first) =>
        new(reader.GetString(first + 1), reader.GetString(first + 2), reader.GetString(first + 3), Utc(reader.GetDateTime(first + 4)))
        {
            Id = reader.GetInt64(first),
            Position = reader.GetInt64(first + 7),
            Client = ClientInfo.Of(NullableText(reader, first + 5), NullableText(reader, first + 6)),
        };

    // Bounded like the session sweep; an event still waiting in the outbox stays until its webhook is done with.
    // SKIP LOCKED: replicas sweeping at once take different rows.
    private const string DeleteOldEvents = """
        DELETE FROM session_events
        WHERE id IN (
            SELECT e.id FROM session_events e
            WHERE e.occurred_at < $1 AND NOT EXISTS (SELECT 1 FROM webhook_outbox o WHERE o.event_id = e.id)
            LIMIT $2 FOR UPDATE SKIP LOCKED);
        """;

    public Task<int> DeleteEventsBeforeAsync(DateTimeOffset before, int batchSize, CancellationToken cancellationToken) => UseAsync(
        async connection =>
        {
            await using var command = new NpgsqlCommand(DeleteOldEvents, connection);
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = before });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batchSize });
            return await command.ExecuteNonQueryAsync(cancellationToken);
        },
        cancellationToken);

    // SKIP LOCKED: replicas taking at once lock different rows, and a row another replica has just taken and committed
    // is re-checked against the condition (READ COMMITTED), no longer due, and left out. The event joins the row after
    // the update; a row whose event is gone comes back with NULLs and is deleted.
    // The longest due first, in the order of the index on next_attempt_at (a few index entries read however long the
    // outbox has grown; ORDER BY event_id would sort every due row on each take). $1 now, $2 taken until, $3 how many.
    private const string TakeOutbox = """
        WITH taken AS (
            UPDATE webhook_outbox SET taken_until = $2
            WHERE webhook_id IN (
                SELECT webhook_id FROM webhook_outbox
                WHERE next_attempt_at <= $1 AND (taken_until IS NULL OR taken_until <= $1)
                ORDER BY next_attempt_at LIMIT $3
                FOR UPDATE SKIP LOCKED)
            RETURNING webhook_id, attempts, event_id
        )
        SELECT t.webhook_id, t.attempts, e.id, e.kind, e.user_id, e.session_handle, e.occurred_at, e.client_address, e.user_agent, e.xact
        FROM taken t LEFT JOIN session_events e ON e.id = t.event_id
        ORDER BY t.event_id;
        """;

    private const string DeleteOutboxRows = "DELETE FROM webhook_outbox WHERE webhook_id = ANY($1);";

    public Task<IReadOnlyList<QueuedWebhook>> TakeWebhooksAsync(DateTimeOffset now, DateTimeOffset takenUntil, int max, CancellationToken cancellationToken) => UseAsync<IReadOnlyList<QueuedWebhook>>(
        async connection =>
        {
            var result = new List<QueuedWebhook>();
            List<string>? orphans = null;
            await using (var command = new NpgsqlCommand(TakeOutbox, connection))
            {
                command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = now });
                command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = takenUntil });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = max });
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    if (reader.IsDBNull(2))
                    {
                        // Its event is gone (deleted by hand): there is nothing left to report.
                        (orphans ??= []).Add(reader.GetString(0));
                        continue;
                    }

                    result.Add(new QueuedWebhook(reader.GetString(0), reader.GetInt32(1), ReadEvent(reader, 2)));
                }
            }

            if (orphans is not null)
            {
                await using var delete = new NpgsqlCommand(DeleteOutboxRows, connection);
                delete.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. orphans] });
                await delete.ExecuteNonQueryAsync(cancellationToken);
            }

            return result;
        },
        cancellationToken);

    private const string CompleteOutboxRow = "DELETE FROM webhook_outbox WHERE webhook_id = $1;";

    public Task CompleteWebhookAsync(string webhookId, CancellationToken cancellationToken) => UseAsync(
        async connection =>
        {
            await using var command = new NpgsqlCommand(CompleteOutboxRow, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = webhookId });
            return await command.ExecuteNonQueryAsync(cancellationToken);
        },
        cancellationToken);

    private const string RescheduleOutboxRow = "UPDATE webhook_outbox SET attempts = $2, next_attempt_at = $3, taken_until = NULL WHERE webhook_id = $1;";

    public Task RescheduleWebhookAsync(string webhookId, int attempts, DateTimeOffset nextAttemptAt, CancellationToken cancellationToken) => UseAsync(
        async connection =>
        {
            await using var command = new NpgsqlCommand(RescheduleOutboxRow, connection);
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = webhookId });
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = attempts });
            command.Parameters.Add(new NpgsqlParameter<DateTimeOffset> { TypedValue = nextAttemptAt });
            return await command.ExecuteNonQueryAsync(cancellationToken);
        },
        cancellationToken);

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
        public string? CreatedAddress { get; init; }
        public string? CreatedUserAgent { get; init; }
        public string? RefreshedAddress { get; init; }
        public string? RefreshedUserAgent { get; init; }

        public SessionRecord ToRecord() => new(
            Handle,
            UserId,
            CustomClaims,
            AntiCsrfToken,
            CurrentHash,
            PreviousHash,
            RotatedAt is { } rotated ? Utc(rotated) : null,
            Utc(ExpiresAt),
            Utc(CreatedAt))
        {
            CreatedBy = ClientInfo.Of(CreatedAddress, CreatedUserAgent),
            RefreshedBy = ClientInfo.Of(RefreshedAddress, RefreshedUserAgent),
        };
    }

}
