using System.Text.Json;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Storage;

namespace SessionGateway.Configuration;

/// <summary>The gateway's own settings: the <c>Session</c> section of proxy.yaml.</summary>
internal sealed record SessionSettings
{
    public const string SectionName = "Session";

    private static readonly SessionEngineOptions EngineDefaults = new();

    public TimeSpan AccessTokenLifetime { get; set; } = EngineDefaults.AccessTokenLifetime;

    public TimeSpan RefreshTokenLifetime { get; set; } = EngineDefaults.RefreshTokenLifetime;

    public TimeSpan RefreshGracePeriod { get; set; } = EngineDefaults.RefreshGracePeriod;

    /// <summary>Optional: a session not refreshed for this long ends at its next refresh. Unset: off.</summary>
    public TimeSpan? IdleTimeout { get; set; } = EngineDefaults.IdleTimeout;

    /// <summary>Optional: a session ends this long after sign-in, whatever the activity. Unset: off.</summary>
    public TimeSpan? AbsoluteLifetime { get; set; } = EngineDefaults.AbsoluteLifetime;

    /// <summary>How long audit events are kept; older ones are swept. Empty: forever.</summary>
    public TimeSpan? AuditRetention { get; set; } = EngineDefaults.AuditRetention;

    public TimeSpan SigningKeyRotation { get; set; } = EngineDefaults.SigningKeyRotation;

    public TimeSpan KeyRefreshInterval { get; set; } = EngineDefaults.KeyRefreshInterval;

    public SigningAlgorithm Algorithm { get; set; } = EngineDefaults.Algorithm;

    public string Issuer { get; set; } = EngineDefaults.Issuer;

    public int VerificationCacheSize { get; set; } = EngineDefaults.VerificationCacheSize;

    public int VerificationCacheMegabytes { get; set; } = EngineDefaults.VerificationCacheMegabytes;

    /// <summary>Status for "the access token is expired or invalid: refresh and retry". Must differ from 403.</summary>
    public int ExpiredStatusCode { get; set; } = 440;

    public string RefreshPath { get; set; } = "/api/refresh";

    public string SignOutPath { get; set; } = "/api/signout";

    /// <summary>"Your devices": <c>GET</c> lists the caller's own sessions, <c>DELETE {SessionsPath}/{handle}</c> ends one.</summary>
    public string SessionsPath { get; set; } = "/api/sessions";

    public string JwksPath { get; set; } = "/.well-known/jwks.json";

    /// <summary><c>auto</c> (custom-header when SameSite is none, else none), <c>none</c>, <c>custom-header</c> or <c>token</c>.</summary>
    public string AntiCsrf { get; set; } = "auto";

    public SessionStoreOptions Store { get; set; } = new();

    /// <summary>The key-encryption key for signing keys and secrets at rest.</summary>
    public KeyEncryptionSettings KeyEncryption { get; set; } = new();

    public CookieSettings Cookies { get; set; } = new();

    public CorsSettings Cors { get; set; } = new();

    public LoginSettings Login { get; set; } = new();

    /// <summary>OpenID Connect login: providers, and whether browser navigations without a session go to one.</summary>
    public OidcSettings Oidc { get; set; } = new();

    /// <summary>Which request paths are refused, and how the others are normalised before routing.</summary>
    public PathSettings Paths { get; set; } = new();

    /// <summary>Requests per client address on the refresh endpoint and login routes.</summary>
    public RateLimitSettings RateLimits { get; set; } = new();

    /// <summary>Identity headers the gateway owns: stripped from every client request, set from the session.</summary>
    public IdentityHeaderSettings Headers { get; set; } = new();

    /// <summary>The signed identity assertion added to forwarded requests on routes that opt in.</summary>
    public AssertionSettings Assertion { get; set; } = new();

    /// <summary>The management listener (probes, metrics) and the graceful drain.</summary>
    public ManagementSettings Management { get; set; } = new();

    /// <summary>The admin API on the management listener, and the key that opens it.</summary>
    public AdminSettings Admin { get; set; } = new();

    /// <summary>The forward-auth decision endpoint, for an ingress that asks instead of forwarding through the gateway.</summary>
    public ForwardAuthSettings ForwardAuth { get; set; } = new();

    /// <summary>Session events POSTed to a receiver of the operator's (Standard Webhooks); off unless a URL is set.</summary>
    public WebhookSettings Webhooks { get; set; } = new();

    /// <summary>Named authorization policies that routes name in <c>AuthorizationPolicy</c>.</summary>
    public IReadOnlyDictionary<string, PolicySettings> Policies { get; set; } = new Dictionary<string, PolicySettings>();

    public SessionEngineOptions ToEngineOptions() => new()
    {
        AccessTokenLifetime = AccessTokenLifetime,
        RefreshTokenLifetime = RefreshTokenLifetime,
        RefreshGracePeriod = RefreshGracePeriod,
        IdleTimeout = IdleTimeout,
        AbsoluteLifetime = AbsoluteLifetime,
        AuditRetention = AuditRetention,
        SigningKeyRotation = SigningKeyRotation,
        KeyRefreshInterval = KeyRefreshInterval,
        Algorithm = Algorithm,
        Issuer = Issuer,
        VerificationCacheSize = VerificationCacheSize,
        VerificationCacheMegabytes = VerificationCacheMegabytes,
        WebhookEventTypes = Webhooks.EngineEventTypes(),
    };

    /// <summary>The anti-CSRF mode in force, <c>auto</c> resolved.</summary>
    public AntiCsrfMode ResolveAntiCsrf() => AntiCsrf.ToUpperInvariant() switch
    {
        "NONE" => AntiCsrfMode.None,
        "CUSTOM-HEADER" => AntiCsrfMode.CustomHeader,
        "TOKEN" => AntiCsrfMode.Token,
        _ => Cookies.SameSite == CookieSameSite.None ? AntiCsrfMode.CustomHeader : AntiCsrfMode.None,
    };

    /// <summary>
    /// The store with a relative SQLite database path resolved against the directory of proxy.yaml, so the
    /// database sits next to its configuration whatever the working directory is.
    /// </summary>
    public SessionStoreOptions ResolveStore(string configDirectory)
    {
        var file = Store.EffectiveConnectionString;
        return Store.Provider != StoreProvider.Sqlite || file.Contains('=', StringComparison.Ordinal) || file.StartsWith(':')
            ? Store
            : Store with { ConnectionString = Path.GetFullPath(file, configDirectory) };
    }

    /// <summary>
    /// The keys read only at start that differ in <paramref name="next"/>: a reload accepts them but they take
    /// effect after a restart (the endpoints are mapped, the engine and store built, the policies registered once).
    /// </summary>
    public IReadOnlyList<string> StartOnlyChanges(SessionSettings next)
    {
        var changed = new List<string>();
        void Compare(string key, object a, object b)
        {
            if (JsonSerializer.Serialize(a) != JsonSerializer.Serialize(b))
            {
                changed.Add(SectionName + ":" + key);
            }
        }

        Compare(nameof(RefreshPath), RefreshPath, next.RefreshPath);
        Compare(nameof(SignOutPath), SignOutPath, next.SignOutPath);
        Compare(nameof(SessionsPath), SessionsPath, next.SessionsPath);
        Compare(nameof(JwksPath), JwksPath, next.JwksPath);
        Compare(nameof(Store), Store, next.Store);
        Compare(nameof(KeyEncryption), KeyEncryption, next.KeyEncryption);
        Compare(nameof(RateLimits), RateLimits, next.RateLimits);
        Compare(nameof(Policies), Policies, next.Policies);
        Compare(nameof(Cors), Cors, next.Cors);
        Compare(nameof(Management), Management, next.Management);
        Compare(nameof(Admin), Admin, next.Admin);
        Compare(nameof(ForwardAuth), ForwardAuth, next.ForwardAuth);
        Compare(nameof(Assertion), Assertion, next.Assertion);
        Compare(nameof(Webhooks), Webhooks, next.Webhooks);
        // The sign-in endpoint is mapped (or not) at start; the users file's contents reload on their own.
        Compare("Login:UsersFile", Login.UsersFile ?? "", next.Login.UsersFile ?? "");
        Compare("Login:SignInPath", Login.SignInPath, next.Login.SignInPath);
        Compare(nameof(Oidc), Oidc, next.Oidc);
        if (Assertion.Claims is null && next.Assertion.Claims is null &&
            !Assertion.ClaimNames(Headers).SequenceEqual(next.Assertion.ClaimNames(next.Headers), StringComparer.Ordinal))
        {
            // The assertion copies the claims of the header map as it was at start.
            changed.Add(SectionName + ":Headers:Claims (the claims of Session:Assertion, which is read at start)");
        }
        var engine = ToEngineOptions();
        var nextEngine = next.ToEngineOptions();
        foreach (var property in typeof(SessionEngineOptions).GetProperties())
        {
            if (property.Name == nameof(SessionEngineOptions.WebhookEventTypes))
            {
                continue; // Session:Webhooks, compared above.
            }

            Compare(property.Name, property.GetValue(engine)!, property.GetValue(nextEngine)!);
        }

        return changed;
    }
}
