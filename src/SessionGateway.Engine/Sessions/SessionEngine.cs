using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SessionGateway.Keys;
using SessionGateway.Storage;
using SessionGateway.Telemetry;
using SessionGateway.Tokens;

namespace SessionGateway.Sessions;

/// <summary>
/// Creates sessions, verifies access tokens locally, rotates refresh tokens and detects theft. Knows
/// nothing about HTTP. Call <see cref="InitializeAsync"/> once before use (the hosted initializer
/// registered by <c>AddSessionEngine</c> does it at startup).
/// </summary>
internal sealed partial class SessionEngine
{
    internal const string RefreshSecretName = "refresh-token-hmac";
    internal const string SignedOutAuditKind = SessionEventTypes.SignedOutKind;
    internal const string RevokedAuditKind = SessionEventTypes.RevokedByAdminKind;
    internal const string IdleTimeoutAuditKind = SessionEventTypes.IdleTimeoutKind;
    internal const string AbsoluteLifetimeAuditKind = SessionEventTypes.AbsoluteLifetimeKind;

    // A loser of the conditional update re-reads once and then sees its token as "previous"; a few
    // rounds cover pathological interleavings without ever looping forever.
    private const int MaxRotationAttempts = 4;

    private readonly ISessionStore _store;
    private readonly SigningKeyRing _keyRing;
    private readonly KeyEncryption _keyEncryption;
    private readonly SessionEngineOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SessionEngine> _logger;
    private readonly EngineTelemetry _telemetry;
    private readonly AccessTokenIssuer _issuer;
    private readonly AccessTokenVerifier _verifier;
    private readonly RevokedSessionSet _revoked = new();
    private readonly SessionLimits _limits;
    private readonly WebhookSignal? _webhookSignal;
    private RefreshTokenCodec? _refreshTokens;
    private bool _initialized;

    public SessionEngine(
        ISessionStore store,
        SigningKeyRing keyRing,
        SessionEngineOptions options,
        KeyEncryption keyEncryption,
        TimeProvider timeProvider,
        ILogger<SessionEngine> logger,
        EngineTelemetry? telemetry = null,
        WebhookSignal? webhookSignal = null)
    {
        _webhookSignal = webhookSignal;
        _telemetry = telemetry ?? EngineTelemetry.Unregistered;
        _store = store;
        _keyRing = keyRing;
        _keyEncryption = keyEncryption;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _limits = new SessionLimits(options.IdleTimeout, options.AbsoluteLifetime);
        _issuer = new AccessTokenIssuer(keyRing, options);
        Cache = new VerifiedTokenCache(options.VerificationCacheSize, options.VerificationCacheMegabytes * 1024L * 1024L);
        _verifier = new AccessTokenVerifier(keyRing, _revoked, Cache, options, timeProvider, _telemetry);
    }

    /// <summary>The current JWKS document (public keys only), for <c>/.well-known/jwks.json</c>.</summary>
    public string JwksJson => _keyRing.JwksJson;

    internal VerifiedTokenCache Cache { get; }

    internal RevokedSessionSet RevokedSessions => _revoked;

    private RefreshTokenCodec RefreshTokens =>
        _refreshTokens ?? throw new InvalidOperationException("SessionEngine.InitializeAsync has not run.");

    /// <summary>
    /// Migrates the store, loads the refresh-token secret, ensures a signing key exists and loads the revocations
    /// still in force, so a restart never makes a revoked session's access tokens valid again. Secrets the configured
    /// key-encryption keys cannot decrypt throw <see cref="KeyEncryptionException"/>: the gateway must not start.
    /// </summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _store.InitializeAsync(cancellationToken);
        if (!_keyEncryption.IsEnabled)
        {
            Log.NoKeyEncryptionKey(_logger);
        }

        else if (_keyEncryption.MigrateClearValues)
        {
            Log.MigrationSwitchOn(_logger);
        }

        // The secret first: it exists from the first start on, so a missing or wrong key-encryption key stops the
        // start here, before anything is written.
        var (secret, secretMigrated) = await LoadRefreshSecretAsync(cancellationToken);
        try
        {
            _refreshTokens = new RefreshTokenCodec(secret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }

        var keysMigrated = await _keyRing.MigrateClearKeysAsync(cancellationToken);
        await _keyRing.RefreshAsync(cancellationToken);
        if (secretMigrated || keysMigrated > 0)
        {
            // The clear values were overwritten, but a file-backed store may still hold their bytes in freed pages
            // or its log: have the store erase what it can.
            await _store.EraseFreedSpaceAsync(cancellationToken);
        }

        await ReloadRevocationsAsync(cancellationToken);
        Volatile.Write(ref _initialized, true);
    }

    /// <summary>
    /// The refresh-token secret, created on first start (sealed when a key-encryption key is configured), and whether
    /// a clear one was sealed now. A secret sealed with a previous key-encryption key is re-sealed with the current
    /// one in place; a clear one too, but only with <see cref="KeyEncryption.MigrateClearValues"/> (else, with a
    /// key-encryption key, it is refused: it may have been planted). The swap is conditional, so replicas starting
    /// together re-seal it once and all read the same value. The secret itself is kept (rotating it would
    /// invalidate every refresh token).
    /// </summary>
    private async Task<(byte[] Secret, bool Migrated)> LoadRefreshSecretAsync(CancellationToken cancellationToken)
    {
        const string purpose = "secret:" + RefreshSecretName;
        var candidate = RandomNumberGenerator.GetBytes(32);
        var sealedCandidate = _keyEncryption.Seal(candidate, purpose);
        CryptographicOperations.ZeroMemory(candidate);
        for (var attempt = 0; ; attempt++)
        {
            var stored = await _store.GetOrAddSecretAsync(RefreshSecretName, sealedCandidate, cancellationToken);
            var opened = _keyEncryption.Open(stored, purpose);
            if (opened.Plaintext is not { } secret || _keyEncryption.RefusesClear(opened.State, migrating: true))
            {
                throw KeyEncryptionException.For("refresh-token secret", opened, _keyEncryption);
            }

            if (!_keyEncryption.IsEnabled || opened.State == SealState.Current)
            {
                return (secret, false);
            }

            if (await _store.TryReplaceSecretAsync(RefreshSecretName, stored, _keyEncryption.Seal(secret, purpose), cancellationToken))
            {
                Log.SecretResealed(_logger, _keyEncryption.CurrentKeyId);
                return (secret, opened.State == SealState.Clear);
            }

            // Another replica re-sealed it in between: read its value (the same secret) once more.
            CryptographicOperations.ZeroMemory(secret);
            if (attempt == MaxRotationAttempts)
            {
                throw new TimeoutException("The refresh-token secret kept changing while it was being encrypted.");
            }
        }
    }

    /// <summary>True once <see cref="InitializeAsync"/> has loaded the refresh-token secret and the signing keys.</summary>
    public bool IsInitialized => Volatile.Read(ref _initialized);

    /// <summary>
    /// Whether the signing keys can serve (for the readiness probe): the last reload opened every key in the store, and
    /// one of them signs now. False after a reload met a key sealed under a key-encryption key this replica does not
    /// have: tokens another replica signs with it would be refused here.
    /// </summary>
    public bool AreSigningKeysCurrent => _keyRing.IsCurrent(_timeProvider.GetUtcNow());

    /// <summary>
    /// Whether the store answers one cheap read within <paramref name="timeout"/> (for the readiness probe). An outage,
    /// including a read slower than the timeout, is <see langword="false"/>: the same failures every other operation
    /// reports as "store unavailable", never an exception. Not logged here: a probe asks every second or so.
    /// </summary>
    public async Task<bool> IsStoreAvailableAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // On the thread pool: a store may block its caller (SQLite waits for its turn on the connection up to
        // BusyTimeout); the answer comes within the timeout either way, and a ping left behind ends on its own (its
        // failure is nobody's news; its deadline is disposed with it).
        var deadline = new CancellationTokenSource(timeout, _timeProvider);
        var ping = Task.Run(() => _store.PingAsync(deadline.Token), CancellationToken.None);
        _ = ping.ContinueWith(
            static (task, state) =>
            {
                _ = task.Exception;
                ((CancellationTokenSource)state!).Dispose();
            },
            deadline,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        try
        {
            await ping.WaitAsync(timeout, _timeProvider, cancellationToken);
            return true;
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The deadline cancelled the ping: too slow is unavailable.
            return false;
        }
    }

    /// <summary>Creates a session. A store outage is a result: nothing was created and the caller answers 503.</summary>
    public Task<StoreResult<IssuedSession>> CreateAsync(
        string userId,
        IReadOnlyDictionary<string, JsonElement>? customClaims,
        bool withAntiCsrfToken,
        CancellationToken cancellationToken) =>
        CreateAsync(userId, customClaims, withAntiCsrfToken, client: null, cancellationToken);

    /// <summary>
    /// As <see cref="CreateAsync(string, IReadOnlyDictionary{string, JsonElement}?, bool, CancellationToken)"/>, recording
    /// <paramref name="client"/> as the client seen at login (shown in session lists and the <c>created</c> audit event).
    /// </summary>
    public async Task<StoreResult<IssuedSession>> CreateAsync(
        string userId,
        IReadOnlyDictionary<string, JsonElement>? customClaims,
        bool withAntiCsrfToken,
        ClientInfo? client,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var now = _timeProvider.GetUtcNow();
        var handle = RandomBase64Url(RefreshTokenCodec.HandleBytes);
        var refreshToken = RefreshTokens.CreateInitial(handle);
        var refreshTokenHash1 = TokenHashing.Hash1(refreshToken);
        var claimsJson = SerializeCustomClaims(customClaims);
        var antiCsrf = withAntiCsrfToken ? RandomBase64Url(32) : null;
        var record = new SessionRecord(
            handle,
            userId,
            claimsJson,
            antiCsrf,
            TokenHashing.Hash2FromHash1(refreshTokenHash1),
            PreviousHash: null,
            RotatedAt: null,
            ExpiresAt: now + _options.RefreshTokenLifetime,
            CreatedAt: now)
        { CreatedBy = client };
        record = record with { ExpiresAt = _limits.EndOf(record) };
        var audit = Audit(SessionEventTypes.CreatedKind, now, client);
        try
        {
            await _store.CreateAsync(record, audit, cancellationToken);
            Queued(audit);
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            Log.StoreUnavailable(_logger, "create", exception);
            return StoreResult<IssuedSession>.Unavailable;
        }

        _telemetry.SessionsCreated.Add(1);
        Log.SessionCreated(_logger, userId, handle);
        return Issue(record, refreshToken, refreshTokenHash1, record.ExpiresAt, now);
    }

    /// <summary>
    /// Rotates the refresh token (see the rotation rules in docs/architecture.md). A session past its idle timeout or
    /// absolute lifetime is ended (revoked, audited) and the answer is <see cref="RefreshOutcomeKind.Unauthorised"/>.
    /// </summary>
    public Task<RefreshOutcome> RefreshAsync(string? refreshToken, CancellationToken cancellationToken) =>
        RefreshAsync(refreshToken, client: null, cancellationToken);

    /// <summary>
    /// As <see cref="RefreshAsync(string?, CancellationToken)"/>; <paramref name="client"/> (the caller's network
    /// address and user agent, or null) is recorded as the session's last refresh client, and on a theft named in the
    /// log line (written here once, before the revocation) and in the audit event.
    /// </summary>
    public async Task<RefreshOutcome> RefreshAsync(string? refreshToken, ClientInfo? client, CancellationToken cancellationToken)
    {
        if (!RefreshTokens.TryParse(refreshToken, out var handle))
        {
            return RefreshOutcome.Unauthorised;
        }

        try
        {
            var presentedHash = TokenHashing.Hash2(refreshToken!);
            // The next token derives from the presented one, so a retry or a racing refresh gets the same one.
            var next = RefreshTokens.DeriveNext(refreshToken!, handle);
            var nextHash1 = TokenHashing.Hash1(next);
            var nextHash = TokenHashing.Hash2FromHash1(nextHash1);
            for (var attempt = 0; attempt < MaxRotationAttempts; attempt++)
            {
                // The common case in one conditional statement: the presented token is current and the session live.
                var now = _timeProvider.GetUtcNow();
                // Sliding, but never past the idle timeout from now; the store cuts it at the absolute end.
                var expiresAt = now + (_options.IdleTimeout is { } idle && idle < _options.RefreshTokenLifetime ? idle : _options.RefreshTokenLifetime);
                if (await _store.TryRotateAsync(handle, presentedHash, nextHash, now, expiresAt, _limits, client, cancellationToken) is { } rotated)
                {
                    Log.SessionRefreshed(_logger, rotated.UserId, handle);
                    return RefreshOutcome.Success(Issue(rotated, next, nextHash1, _limits.EndOf(rotated), now));
                }

                var session = await _store.FindAsync(handle, cancellationToken);
                if (session is null)
                {
                    return RefreshOutcome.Unauthorised;
                }

                // Before the expiry (which the limits also cut) and before theft: a session past its idle or absolute
                // end is over, whichever of its tokens is presented, and it ends with an audit row saying why.
                if (LimitReached(session, now) is { } limit)
                {
                    return await EndSessionAsync(session, limit, now, client, cancellationToken);
                }

                if (session.ExpiresAt <= now)
                {
                    return RefreshOutcome.Unauthorised;
                }

                if (TokenHashing.FixedTimeEquals(presentedHash, session.CurrentHash))
                {
                    continue; // Current again after our write missed (the clock moved past a boundary): try once more.
                }

                if (TokenHashing.FixedTimeEquals(presentedHash, session.PreviousHash))
                {
                    if (session.RotatedAt is { } rotatedAt && now <= rotatedAt + _options.RefreshGracePeriod
                        && TokenHashing.FixedTimeEquals(nextHash, session.CurrentHash))
                    {
                        // A retry or a concurrent refresh: the same next token, so the lineage does not fork.
                        return RefreshOutcome.GraceSuccess(Issue(session, next, nextHash1, _limits.EndOf(session), now));
                    }

                    return await HandleTheftAsync(session, TheftKind.PreviousAfterGrace, client, now, cancellationToken);
                }

                // The MAC proves we minted this token for this session, so it is a superseded generation.
                return await HandleTheftAsync(session, TheftKind.OlderGeneration, client, now, cancellationToken);
            }

            Log.RotationContended(_logger, handle);
            return RefreshOutcome.StoreUnavailable;
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            Log.StoreUnavailable(_logger, "refresh", exception);
            return RefreshOutcome.StoreUnavailable;
        }
    }

    /// <summary>Checks an access token locally (no store read). Never throws.</summary>
    public AccessTokenCheck VerifyAccessToken(string? accessToken) => _verifier.Verify(accessToken);

    /// <summary>As <see cref="VerifyAccessToken(string?)"/>, without allocating when the token was verified before.</summary>
    public AccessTokenCheck VerifyAccessToken(ReadOnlySpan<char> accessToken) => _verifier.Verify(accessToken);

    /// <summary>
    /// True when a token that failed verification still claims to be ours (our issuer, a session handle):
    /// tampered, signed by a retired key, or revoked. Such a token is answered "try refresh token", never passed
    /// on as somebody else's. Grants nothing.
    /// </summary>
    public bool ClaimsToBeOurs(string accessToken) => AccessTokenShape.ClaimsIssuer(accessToken, _options.Issuer);

    /// <summary>
    /// True when <paramref name="text"/> holds something shaped like one of our tokens, whatever is joined to it (see
    /// <see cref="AccessTokenShape.ContainsOurToken"/>): for keeping tokens from upstreams. No signature or MAC is
    /// checked, so the cost stays a decode per candidate segment; <paramref name="budget"/> caps the candidates.
    /// </summary>
    public bool ContainsOurToken(ReadOnlySpan<char> text, ref int budget) => AccessTokenShape.ContainsOurToken(text, _options.Issuer, ref budget);

    /// <summary>
    /// Ends a session: durably revoked, so its access tokens are refused here at once and on every replica as the
    /// revocation reaches it. <paramref name="auditKind"/> is <see cref="SignedOutAuditKind"/> or
    /// <see cref="RevokedAuditKind"/>. The value says whether the session existed.
    /// </summary>
    public Task<StoreResult<bool>> RevokeAsync(string sessionHandle, string auditKind, CancellationToken cancellationToken) =>
        RevokeAsync(sessionHandle, auditKind, client: null, cancellationToken);

    /// <summary>As <see cref="RevokeAsync(string, string, CancellationToken)"/>, naming the client that asked in the audit event.</summary>
    public async Task<StoreResult<bool>> RevokeAsync(string sessionHandle, string auditKind, ClientInfo? client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessionHandle);
        var now = _timeProvider.GetUtcNow();
        var until = RefuseUntil(now);
        var audit = Audit(auditKind, now, client);
        try
        {
            var userId = await _store.RevokeAsync(sessionHandle, until, audit, cancellationToken);
            _revoked.Add(sessionHandle, until);
            if (userId is not null)
            {
                Queued(audit);
                Log.SessionRevoked(_logger, userId, sessionHandle, auditKind);
            }

            return userId is not null;
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            Log.StoreUnavailable(_logger, "revoke", exception);
            return StoreResult<bool>.Unavailable;
        }
    }

    /// <summary>
    /// Ends one of <paramref name="userId"/>'s own sessions ("your devices"): as <see cref="RevokeAsync(string, string, ClientInfo?, CancellationToken)"/>
    /// when the session is the user's, and nothing at all otherwise (false: unknown, or someone else's; the caller
    /// cannot tell which).
    /// </summary>
    public async Task<StoreResult<bool>> RevokeOwnedAsync(string userId, string sessionHandle, ClientInfo? client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(sessionHandle);
        var now = _timeProvider.GetUtcNow();
        var until = RefuseUntil(now);
        var audit = Audit(SessionEventTypes.RevokedByUserKind, now, client);
        try
        {
            if (!await _store.RevokeOwnedAsync(sessionHandle, userId, until, audit, cancellationToken))
            {
                return false;
            }

            _revoked.Add(sessionHandle, until);
            Queued(audit);
            Log.SessionRevoked(_logger, userId, sessionHandle, SessionEventTypes.RevokedByUserKind);
            return true;
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            Log.StoreUnavailable(_logger, "revoke", exception);
            return StoreResult<bool>.Unavailable;
        }
    }

    /// <summary>Ends every session of a user (as <see cref="RevokeAsync(string, string, CancellationToken)"/>); the value is how many there were.</summary>
    public Task<StoreResult<int>> RevokeAllForUserAsync(string userId, CancellationToken cancellationToken) =>
        RevokeAllForUserAsync(userId, client: null, cancellationToken);

    /// <summary>As <see cref="RevokeAllForUserAsync(string, CancellationToken)"/>, naming the client that asked in the audit events.</summary>
    public async Task<StoreResult<int>> RevokeAllForUserAsync(string userId, ClientInfo? client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var now = _timeProvider.GetUtcNow();
        var until = RefuseUntil(now);
        var audit = Audit(RevokedAuditKind, now, client);
        try
        {
            // One webhook per session, each under an id of its own: the entry itself carries none.
            var handles = await _store.RevokeAllForUserAsync(
                userId, until, audit with { WebhookId = null }, audit.WebhookId is null ? null : NewWebhookId, cancellationToken);
            foreach (var handle in handles)
            {
                _revoked.Add(handle, until);
            }

            if (handles.Count > 0)
            {
                Queued(audit);
            }

            Log.UserSessionsRevoked(_logger, userId, handles.Count);
            return handles.Count;
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            Log.StoreUnavailable(_logger, "revoke-all", exception);
            return StoreResult<int>.Unavailable;
        }
    }

    /// <summary>
    /// Whether a session with this handle is live: stored, unexpired, within the idle timeout and absolute lifetime (what
    /// <see cref="ListSessionsAsync"/> lists). False for an expired session the sweeper has not removed yet.
    /// </summary>
    public async Task<StoreResult<bool>> IsLiveAsync(string sessionHandle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessionHandle);
        var now = _timeProvider.GetUtcNow();
        try
        {
            return await _store.FindAsync(sessionHandle, cancellationToken) is { } session &&
                _limits.EndOf(session) > now && LimitReached(session, now) is null;
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            Log.StoreUnavailable(_logger, "find", exception);
            return StoreResult<bool>.Unavailable;
        }
    }

    /// <summary>The user's live sessions, oldest first.</summary>
    public async Task<StoreResult<IReadOnlyList<SessionInfo>>> ListSessionsAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var now = _timeProvider.GetUtcNow();
        IReadOnlyList<SessionRecord> sessions;
        try
        {
            sessions = await _store.ListForUserAsync(userId, cancellationToken);
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            Log.StoreUnavailable(_logger, "list", exception);
            return StoreResult<IReadOnlyList<SessionInfo>>.Unavailable;
        }

        var result = new List<SessionInfo>(sessions.Count);
        foreach (var session in sessions)
        {
            var end = _limits.EndOf(session);
            if (end > now && LimitReached(session, now) is null)
            {
                result.Add(new SessionInfo(session.Handle, session.UserId, session.CreatedAt, end, session.RotatedAt, session.CustomClaimsJson)
                {
                    CreatedBy = session.CreatedBy,
                    RefreshedBy = session.RefreshedBy,
                });
            }
        }

        return result;
    }

    /// <summary>One page of the audit trail (see <see cref="EventQuery"/>). A store outage is a result.</summary>
    public async Task<StoreResult<IReadOnlyList<SessionAuditEvent>>> ListEventsAsync(EventQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        try
        {
            return StoreResult<IReadOnlyList<SessionAuditEvent>>.Success(await _store.ListEventsAsync(query, cancellationToken));
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            Log.StoreUnavailable(_logger, "list-events", exception);
            return StoreResult<IReadOnlyList<SessionAuditEvent>>.Unavailable;
        }
    }

    /// <summary>
    /// Loads every revocation still in force from the store (at start, and after the revocation feed reconnected);
    /// returns how many. Store failures propagate: the caller decides whether to retry or stop.
    /// </summary>
    public async Task<int> ReloadRevocationsAsync(CancellationToken cancellationToken)
    {
        var revocations = await _store.ListRevocationsAsync(_timeProvider.GetUtcNow(), cancellationToken);
        foreach (var revocation in revocations)
        {
            ApplyRevocation(revocation);
        }

        return revocations.Count;
    }

    /// <summary>
    /// Applies a revocation another replica committed (from the revocation feed, or loaded from the store). It is kept
    /// at least as long as this replica's own access tokens can live: the revoking replica computed its end with its
    /// own lifetime, which may be shorter (a rolling change of the lifetime). Keeping a revocation longer than needed
    /// costs nothing: no token of a revoked session can be valid.
    /// </summary>
    public void ApplyRevocation(Revocation revocation)
    {
        var ownEnd = RefuseUntil(_timeProvider.GetUtcNow());
        _revoked.Add(revocation.SessionHandle, revocation.RefuseUntil > ownEnd ? revocation.RefuseUntil : ownEnd);
    }

    /// <summary>Forgets revocations whose access tokens have all expired.</summary>
    public int PruneRevocations() => _revoked.Prune(_timeProvider.GetUtcNow());

    private async Task<RefreshOutcome> HandleTheftAsync(SessionRecord session, TheftKind kind, ClientInfo? client, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // On record before the write, so a theft met during a store outage still leaves a trace. The only log line of
        // a theft: the gateway counts it and answers, but does not log it again.
        Log.TheftDetected(_logger, session.UserId, session.Handle, kind, client?.Address);
        await RevokeOrUndoAsync(session.Handle, SessionEventTypes.TheftKindOf(kind), now, client, cancellationToken);
        return RefreshOutcome.TheftDetected(new TheftReport(session.UserId, session.Handle, kind));
    }

    /// <summary>The audit kind of the limit <paramref name="session"/> has reached at <paramref name="now"/>, or null.</summary>
    private string? LimitReached(SessionRecord session, DateTimeOffset now)
    {
        if (_options.AbsoluteLifetime is { } lifetime && session.CreatedAt + lifetime <= now)
        {
            return AbsoluteLifetimeAuditKind;
        }

        if (_options.IdleTimeout is { } idle && (session.RotatedAt ?? session.CreatedAt) + idle <= now)
        {
            return IdleTimeoutAuditKind;
        }

        return null;
    }

    /// <summary>Ends a session that reached its idle timeout or absolute lifetime: revoked like a sign-out, audited with <paramref name="auditKind"/>.</summary>
    private async Task<RefreshOutcome> EndSessionAsync(SessionRecord session, string auditKind, DateTimeOffset now, ClientInfo? client, CancellationToken cancellationToken)
    {
        await RevokeOrUndoAsync(session.Handle, auditKind, now, client, cancellationToken);
        Log.SessionEnded(_logger, session.UserId, session.Handle, auditKind);
        return RefreshOutcome.Unauthorised;
    }

    /// <summary>
    /// Refuses the session here at once, then revokes it in the store. If the store fails, the local mark is taken
    /// back and the outage propagates (the client gets 503): a session alive in the store but refused by this one
    /// replica would trap its owner in a refresh loop here. The stale token is judged again on its next use.
    /// </summary>
    private async Task RevokeOrUndoAsync(string handle, string auditKind, DateTimeOffset now, ClientInfo? client, CancellationToken cancellationToken)
    {
        var until = RefuseUntil(now);
        _revoked.Add(handle, until);
        var audit = Audit(auditKind, now, client);
        try
        {
            if (await _store.RevokeAsync(handle, until, audit, cancellationToken) is not null)
            {
                Queued(audit);
            }
        }
        catch (Exception exception) when (StoreFailures.IsOutage(exception))
        {
            _revoked.Remove(handle, until);
            throw;
        }
    }

    /// <summary>The audit entry of a write, with a webhook id when a webhook is to be sent for its event type.</summary>
    private AuditEntry Audit(string kind, DateTimeOffset now, ClientInfo? client) =>
        new(kind, now, client, SessionEventTypes.TypeOf(kind) is { } type && _options.WebhookEventTypes.Contains(type) ? NewWebhookId() : null);

    /// <summary>A webhook id: unique per event (every attempt of one event carries the same), never reused across databases.</summary>
    private static string NewWebhookId() => "msg_" + RandomBase64Url(18);

    /// <summary>Wakes the webhook sender after a committed write queued a webhook.</summary>
    private void Queued(AuditEntry audit)
    {
        if (audit.WebhookId is not null)
        {
            _webhookSignal?.Notify();
        }
    }

    /// <summary>The last moment an access token issued up to <paramref name="now"/> can still pass verification.</summary>
    private DateTimeOffset RefuseUntil(DateTimeOffset now) =>
        now + _options.AccessTokenLifetime + SessionEngineOptions.ClockSkew + SessionEngineOptions.ClockSkew;

    private IssuedSession Issue(SessionRecord session, string refreshToken, string refreshTokenHash1, DateTimeOffset refreshExpires, DateTimeOffset now)
    {
        var accessToken = _issuer.Mint(
            session.UserId,
            session.Handle,
            refreshTokenHash1,
            session.AntiCsrfToken,
            session.CustomClaimsJson,
            now,
            notAfter: refreshExpires);
        return new IssuedSession(
            session.Handle,
            session.UserId,
            accessToken.Token,
            accessToken.PayloadJson,
            accessToken.Expires,
            refreshToken,
            refreshExpires,
            session.AntiCsrfToken);
    }

    private string SerializeCustomClaims(IReadOnlyDictionary<string, JsonElement>? customClaims)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (customClaims is not null)
            {
                foreach (var (name, value) in customClaims)
                {
                    if (ReservedClaims.IsReserved(name))
                    {
                        Log.ReservedClaimDropped(_logger, name);
                        continue;
                    }

                    writer.WritePropertyName(name);
                    value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string RandomBase64Url(int bytes) => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(bytes));

    private static partial class Log
    {
        [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Session {SessionHandle} created for user {UserId}")]
        public static partial void SessionCreated(ILogger logger, string userId, string sessionHandle);

        [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
            Message = "Token theft: a stale refresh token ({Kind}) was presented for user {UserId}, session {SessionHandle}, from {RemoteAddress}; revoking the session")]
        public static partial void TheftDetected(ILogger logger, string userId, string sessionHandle, TheftKind kind, string? remoteAddress);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Session store unavailable during {Operation}; answering 'store unavailable', the client keeps its tokens")]
        public static partial void StoreUnavailable(ILogger logger, string operation, Exception exception);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Custom claim '{ClaimName}' uses a reserved name and was dropped")]
        public static partial void ReservedClaimDropped(ILogger logger, string claimName);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Rotation of session {SessionHandle} kept losing races; answering 'store unavailable'")]
        public static partial void RotationContended(ILogger logger, string sessionHandle);

        [LoggerMessage(EventId = 1005, Level = LogLevel.Information, Message = "Session {SessionHandle} of user {UserId} revoked ({Reason})")]
        public static partial void SessionRevoked(ILogger logger, string userId, string sessionHandle, string reason);

        [LoggerMessage(EventId = 1006, Level = LogLevel.Debug, Message = "Session {SessionHandle} of user {UserId} refreshed")]
        public static partial void SessionRefreshed(ILogger logger, string userId, string sessionHandle);

        [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "All {Count} session(s) of user {UserId} revoked")]
        public static partial void UserSessionsRevoked(ILogger logger, string userId, int count);

        [LoggerMessage(EventId = 1460, Level = LogLevel.Information,
            Message = "Session {SessionHandle} of user {UserId} ended at refresh ({Reason}); the user signs in again")]
        public static partial void SessionEnded(ILogger logger, string userId, string sessionHandle, string reason);

        [LoggerMessage(EventId = 1453, Level = LogLevel.Warning,
            Message = "No key-encryption key is configured (Session:KeyEncryption:KeyFile or Session:KeyEncryption:Key): the signing keys and the refresh-token secret are stored IN CLEAR, and anyone who can read the session store can mint valid tokens for any user. Configure one in production.")]
        public static partial void NoKeyEncryptionKey(ILogger logger);

        [LoggerMessage(EventId = 1455, Level = LogLevel.Information,
            Message = "Encrypted the refresh-token secret in the session store with key-encryption key id {KeyEncryptionKeyId} (it was in clear or under a previous key)")]
        public static partial void SecretResealed(ILogger logger, string keyEncryptionKeyId);

        [LoggerMessage(EventId = 1457, Level = LogLevel.Warning,
            Message = "Session:KeyEncryption:MigrateClearValues is on: clear signing keys and refresh-token secret found at this start are encrypted and accepted. Remove the setting once the store is migrated: while it is on, a value planted in clear in the store is accepted at start.")]
        public static partial void MigrationSwitchOn(ILogger logger);
    }
}
