using System.Buffers;
using System.Buffers.Text;
using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using SessionGateway.Keys;
using SessionGateway.Storage;
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
    internal const string TheftAuditKind = "token-theft";

    // A loser of the conditional update re-reads once and then sees its token as "previous"; a few
    // rounds cover pathological interleavings without ever looping forever.
    private const int MaxRotationAttempts = 4;

    private readonly ISessionStore _store;
    private readonly SigningKeyRing _keyRing;
    private readonly SessionEngineOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<SessionEngine> _logger;
    private readonly AccessTokenIssuer _issuer;
    private readonly AccessTokenVerifier _verifier;
    private readonly RevokedSessionSet _revoked = new();
    private RefreshTokenCodec? _refreshTokens;

    public SessionEngine(
        ISessionStore store,
        SigningKeyRing keyRing,
        SessionEngineOptions options,
        TimeProvider timeProvider,
        ILogger<SessionEngine> logger)
    {
        _store = store;
        _keyRing = keyRing;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _issuer = new AccessTokenIssuer(keyRing, options);
        Cache = new VerifiedTokenCache(options.VerificationCacheSize);
        _verifier = new AccessTokenVerifier(keyRing, _revoked, Cache, options, timeProvider);
    }

    /// <summary>The current JWKS document (public keys only), for <c>/.well-known/jwks.json</c>.</summary>
    public string JwksJson => _keyRing.JwksJson;

    internal VerifiedTokenCache Cache { get; }

    internal RevokedSessionSet RevokedSessions => _revoked;

    private RefreshTokenCodec RefreshTokens =>
        _refreshTokens ?? throw new InvalidOperationException("SessionEngine.InitializeAsync has not run.");

    /// <summary>Migrates the store, loads the refresh-token secret and ensures a signing key exists.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await _store.InitializeAsync(cancellationToken);
        var secret = await _store.GetOrAddSecretAsync(RefreshSecretName, RandomNumberGenerator.GetBytes(32), cancellationToken);
        _refreshTokens = new RefreshTokenCodec(secret);
        await _keyRing.RefreshAsync(cancellationToken);
    }

    public async Task<IssuedSession> CreateAsync(
        string userId,
        IReadOnlyDictionary<string, JsonElement>? customClaims,
        bool withAntiCsrfToken,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        var now = _timeProvider.GetUtcNow();
        var handle = RandomBase64Url(16);
        var refreshToken = RefreshTokens.CreateInitial(handle);
        var claimsJson = SerializeCustomClaims(customClaims);
        var antiCsrf = withAntiCsrfToken ? RandomBase64Url(32) : null;
        var record = new SessionRecord(
            handle,
            userId,
            claimsJson,
            antiCsrf,
            TokenHashing.Hash2(refreshToken),
            PreviousHash: null,
            RotatedAt: null,
            ExpiresAt: now + _options.RefreshTokenLifetime,
            CreatedAt: now);
        await _store.CreateAsync(record, cancellationToken);
        Log.SessionCreated(_logger, userId, handle);
        return Issue(record, refreshToken, record.ExpiresAt, now);
    }

    public async Task<RefreshOutcome> RefreshAsync(string? refreshToken, CancellationToken cancellationToken)
    {
        if (!RefreshTokens.TryParse(refreshToken, out var handle))
        {
            return RefreshOutcome.Unauthorised;
        }

        try
        {
            var presentedHash = TokenHashing.Hash2(refreshToken!);
            for (var attempt = 0; attempt < MaxRotationAttempts; attempt++)
            {
                var now = _timeProvider.GetUtcNow();
                var session = await _store.FindAsync(handle, cancellationToken);
                if (session is null || session.ExpiresAt <= now)
                {
                    return RefreshOutcome.Unauthorised;
                }

                var next = RefreshTokens.DeriveNext(refreshToken!, handle);
                if (TokenHashing.FixedTimeEquals(presentedHash, session.CurrentHash))
                {
                    var expiresAt = now + _options.RefreshTokenLifetime;
                    if (await _store.TryRotateAsync(handle, session.CurrentHash, TokenHashing.Hash2(next), now, expiresAt, cancellationToken))
                    {
                        return RefreshOutcome.Success(Issue(session, next, expiresAt, now));
                    }

                    continue; // Someone rotated between our read and write: re-read and judge again.
                }

                if (TokenHashing.FixedTimeEquals(presentedHash, session.PreviousHash))
                {
                    if (session.RotatedAt is { } rotatedAt && now <= rotatedAt + _options.RefreshGracePeriod
                        && TokenHashing.FixedTimeEquals(TokenHashing.Hash2(next), session.CurrentHash))
                    {
                        // A retry or a concurrent refresh: the same next token, so the lineage does not fork.
                        return RefreshOutcome.Success(Issue(session, next, session.ExpiresAt, now));
                    }

                    return await HandleTheftAsync(session, TheftKind.PreviousAfterGrace, now, cancellationToken);
                }

                // The MAC proves we minted this token for this session, so it is a superseded generation.
                return await HandleTheftAsync(session, TheftKind.OlderGeneration, now, cancellationToken);
            }

            Log.RotationContended(_logger, handle);
            return RefreshOutcome.StoreUnavailable;
        }
        catch (DbException exception)
        {
            Log.StoreFailed(_logger, exception);
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

    public async Task<bool> RevokeAsync(string sessionHandle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessionHandle);
        MarkRevoked(sessionHandle);
        return await _store.RevokeAsync(sessionHandle, cancellationToken);
    }

    public async Task<int> RevokeAllForUserAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var handles = await _store.RevokeAllForUserAsync(userId, cancellationToken);
        foreach (var handle in handles)
        {
            MarkRevoked(handle);
        }

        return handles.Count;
    }

    /// <summary>The user's live sessions, oldest first.</summary>
    public async Task<IReadOnlyList<SessionInfo>> ListSessionsAsync(string userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(userId);
        var now = _timeProvider.GetUtcNow();
        var sessions = await _store.ListForUserAsync(userId, cancellationToken);
        var result = new List<SessionInfo>(sessions.Count);
        foreach (var session in sessions)
        {
            if (session.ExpiresAt > now)
            {
                result.Add(new SessionInfo(session.Handle, session.UserId, session.CreatedAt, session.ExpiresAt, session.RotatedAt, session.CustomClaimsJson));
            }
        }

        return result;
    }

    /// <summary>Forgets revocations whose access tokens have all expired.</summary>
    public int PruneRevocations() => _revoked.Prune(_timeProvider.GetUtcNow());

    private async Task<RefreshOutcome> HandleTheftAsync(SessionRecord session, TheftKind kind, DateTimeOffset now, CancellationToken cancellationToken)
    {
        MarkRevoked(session.Handle);
        await _store.RevokeWithAuditAsync(
            session.Handle,
            new SessionAuditEvent(TheftAuditKind + ":" + kind, session.UserId, session.Handle, now),
            cancellationToken);
        Log.TheftDetected(_logger, session.UserId, session.Handle, kind);
        return RefreshOutcome.TheftDetected(new TheftReport(session.UserId, session.Handle, kind));
    }

    private void MarkRevoked(string handle) =>
        _revoked.Add(handle, _timeProvider.GetUtcNow() + _options.AccessTokenLifetime + SessionEngineOptions.ClockSkew + SessionEngineOptions.ClockSkew);

    private IssuedSession Issue(SessionRecord session, string refreshToken, DateTimeOffset refreshExpires, DateTimeOffset now)
    {
        var accessToken = _issuer.Mint(
            session.UserId,
            session.Handle,
            TokenHashing.Hash1(refreshToken),
            session.AntiCsrfToken,
            session.CustomClaimsJson,
            now);
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
        [LoggerMessage(EventId = 1000, Level = LogLevel.Debug, Message = "Session {SessionHandle} created for user {UserId}")]
        public static partial void SessionCreated(ILogger logger, string userId, string sessionHandle);

        [LoggerMessage(EventId = 1001, Level = LogLevel.Warning,
            Message = "Refresh token theft detected ({Kind}) for user {UserId}, session {SessionHandle}; the session has been revoked")]
        public static partial void TheftDetected(ILogger logger, string userId, string sessionHandle, TheftKind kind);

        [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Session store failed during refresh; answering 'store unavailable'")]
        public static partial void StoreFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Custom claim '{ClaimName}' uses a reserved name and was dropped")]
        public static partial void ReservedClaimDropped(ILogger logger, string claimName);

        [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Rotation of session {SessionHandle} kept losing races; answering 'store unavailable'")]
        public static partial void RotationContended(ILogger logger, string sessionHandle);
    }
}
