using SessionGateway.Keys;

namespace SessionGateway.Sessions;

/// <summary>Engine settings (configuration section <c>Session</c>). Defaults follow the protocol.</summary>
internal sealed record SessionEngineOptions
{
    /// <summary>Tolerance for clock differences between replicas when checking <c>exp</c>, <c>iat</c> and <c>nbf</c>.</summary>
    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(1);

    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromMinutes(15);

    /// <summary>Sliding: every rotation moves the session's expiry to now + this.</summary>
    public TimeSpan RefreshTokenLifetime { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Optional (null: off). A session not refreshed for this long ends: the next refresh is refused and the session
    /// revoked. Longer than <see cref="AccessTokenLifetime"/>, since an active client refreshes once per access token.
    /// </summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>
    /// Optional (null: off). A session ends this long after it was created, however active: the refresh after that
    /// is refused and the session revoked, and no refresh token or cookie outlives it.
    /// </summary>
    public TimeSpan? AbsoluteLifetime { get; init; }

    /// <summary>How long after a rotation the previous refresh token is still answered (with the same next token).</summary>
    public TimeSpan RefreshGracePeriod { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long each signing key signs before the next one takes over.</summary>
    public TimeSpan SigningKeyRotation { get; init; } = TimeSpan.FromDays(7);

    public SigningAlgorithm Algorithm { get; init; } = SigningAlgorithm.ES256;

    public string Issuer { get; init; } = "session-gateway";

    /// <summary>How often each replica reloads the signing keys from the store (and adds the next key when due).</summary>
    public TimeSpan KeyRefreshInterval { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>Verified access tokens remembered per generation (the cache holds at most twice this).</summary>
    public int VerificationCacheSize { get; init; } = 10_000;

    /// <summary>
    /// Memory the verification cache may account for, in MiB, both generations together; whichever of this and
    /// <see cref="VerificationCacheSize"/> is reached first ends a generation.
    /// </summary>
    public int VerificationCacheMegabytes { get; init; } = 64;

    /// <summary>
    /// The event types (<see cref="SessionEventTypes"/>) for which a webhook is queued with the audit event; empty (the
    /// default) when no webhook receiver is configured.
    /// </summary>
    public IReadOnlySet<string> WebhookEventTypes { get; init; } = new HashSet<string>();

    /// <summary>
    /// How long audit events are kept (null: forever). The sweeper deletes older ones in batches, except those whose
    /// webhook still waits in the outbox.
    /// </summary>
    public TimeSpan? AuditRetention { get; init; } = TimeSpan.FromDays(90);

    /// <summary>
    /// The longest interval a timer or lock wait takes: the runtime's timers take at most about 49.7 days, a lock wait
    /// about 24.8 (int milliseconds); longer ones threw when the service started, which stopped the host.
    /// </summary>
    public static readonly TimeSpan LongestTimerInterval = TimeSpan.FromDays(24);

    /// <summary>Collects every problem rather than stopping at the first.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (AccessTokenLifetime < TimeSpan.FromSeconds(10))
        {
            errors.Add("Session:AccessTokenLifetime must be at least 10 seconds.");
        }

        if (RefreshTokenLifetime <= AccessTokenLifetime)
        {
            errors.Add("Session:RefreshTokenLifetime must be longer than Session:AccessTokenLifetime.");
        }

        if (IdleTimeout is { } idle && (idle <= AccessTokenLifetime || idle > RefreshTokenLifetime))
        {
            errors.Add("Session:IdleTimeout must be longer than Session:AccessTokenLifetime (an active client refreshes once per access token) and at most Session:RefreshTokenLifetime (which already ends a session unused for that long).");
        }

        if (AbsoluteLifetime is { } absolute && absolute <= AccessTokenLifetime)
        {
            errors.Add("Session:AbsoluteLifetime must be longer than Session:AccessTokenLifetime.");
        }

        if (RefreshGracePeriod < TimeSpan.Zero || RefreshGracePeriod > TimeSpan.FromMinutes(5))
        {
            errors.Add("Session:RefreshGracePeriod must be between 0 and 5 minutes.");
        }

        if (SigningKeyRotation < TimeSpan.FromMinutes(10))
        {
            errors.Add("Session:SigningKeyRotation must be at least 10 minutes.");
        }

        if (KeyRefreshInterval < TimeSpan.FromSeconds(1) || KeyRefreshInterval > LongestTimerInterval || KeyRefreshInterval >= SigningKeyRotation)
        {
            errors.Add("Session:KeyRefreshInterval must be at least 1 second, at most 24 days, and shorter than Session:SigningKeyRotation.");
        }

        if (!Enum.IsDefined(Algorithm))
        {
            errors.Add("Session:Algorithm must be ES256 or RS256.");
        }

        if (string.IsNullOrWhiteSpace(Issuer))
        {
            errors.Add("Session:Issuer must not be empty.");
        }

        if (AuditRetention is { } retention && retention <= TimeSpan.Zero)
        {
            errors.Add("Session:AuditRetention must be positive (leave it empty to keep audit events forever).");
        }

        if (VerificationCacheSize < 1)
        {
            errors.Add("Session:VerificationCacheSize must be positive.");
        }

        if (VerificationCacheMegabytes < 1)
        {
            errors.Add("Session:VerificationCacheMegabytes must be positive.");
        }

        foreach (var type in WebhookEventTypes)
        {
            if (!SessionEventTypes.All.Contains(type))
            {
                errors.Add($"Session:Webhooks:Events: '{type}' is not an event type; the types are {string.Join(", ", SessionEventTypes.All)}.");
            }
        }

        return errors;
    }
}
