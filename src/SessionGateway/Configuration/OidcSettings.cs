namespace SessionGateway.Configuration;

/// <summary>
/// OpenID Connect login (<c>Session:Oidc</c>): each provider is an authentication scheme of ASP.NET Core's OpenID
/// Connect handler; a login there creates a gateway session. Read at start.
/// </summary>
internal sealed record OidcSettings
{
    /// <summary>Provider name to its settings; the name is the last segment of <c>/api/login/{name}</c>.</summary>
    public IReadOnlyDictionary<string, OidcProviderSettings> Providers { get; set; } = new Dictionary<string, OidcProviderSettings>();

    /// <summary>
    /// A provider name: a browser navigation without a session to a protected route is sent to that provider's login
    /// (302) instead of getting 401. Unset: off.
    /// </summary>
    public string? RedirectUnauthenticated { get; set; }

    /// <summary>
    /// A folder for ASP.NET Core Data Protection's keys, which protect the login's state while the browser is at the
    /// provider. Unset: keys live in memory (a restart or another replica cannot finish a login begun before).
    /// </summary>
    public string? KeysDirectory { get; set; }

    public bool Enabled => Providers.Count > 0;
}
