using System.Text;

namespace SessionGateway.Configuration;

/// <summary>One OpenID provider (<c>Session:Oidc:Providers:{name}</c>).</summary>
internal sealed record OidcProviderSettings
{
    /// <summary>The issuer URL; its <c>/.well-known/openid-configuration</c> is read. https, or http on a loopback address.</summary>
    public string? Authority { get; set; }

    public string? ClientId { get; set; }

    public string? ClientSecret { get; set; }

    /// <summary>A file holding the client secret (relative to proxy.yaml), instead of <see cref="ClientSecret"/>.</summary>
    public string? ClientSecretFile { get; set; }

    /// <summary>
    /// The scopes asked for; unset: <see cref="EffectiveScopes"/>'s default. (A list with a default value would have the
    /// configuration binder append the written scopes to the default ones instead of replacing them.)
    /// </summary>
    public IReadOnlyList<string>? Scopes { get; set; }

    public IReadOnlyList<string> EffectiveScopes => Scopes is { Count: > 0 } scopes ? scopes : ["openid", "profile"];

    /// <summary>The ID token or userinfo claim whose value becomes the session's user id.</summary>
    public string UserIdClaim { get; set; } = "sub";

    /// <summary>
    /// Put before every user id from this provider (<c>google:</c>), so that two providers' equal <c>sub</c> or email do
    /// not become the same gateway user. Unset: the claim's value as it is.
    /// </summary>
    public string? UserIdPrefix { get; set; }

    /// <summary>Provider claim name to session claim name (<c>groups: role</c>); other claims are not kept.</summary>
    public IReadOnlyDictionary<string, string> Claims { get; set; } = new Dictionary<string, string>();

    /// <summary>Whether sign-out through this provider also ends the provider's session (RP-initiated logout).</summary>
    public bool SignOutAtProvider { get; set; }

    /// <summary>The client secret, read from <see cref="ClientSecretFile"/> when that is set; null when neither is.</summary>
    public string? ResolveSecret(string configDirectory) =>
        string.IsNullOrEmpty(ClientSecretFile) ? ClientSecret : File.ReadAllText(Path.GetFullPath(ClientSecretFile, configDirectory)).Trim();

    /// <summary>The secret file when group or other users can read it (path and octal mode), else null.</summary>
    public (string Path, string Mode)? ExposedSecretFile(string configDirectory) => FileExposure.Exposed(ClientSecretFile, configDirectory);

    // Records print every property; the secret is not printed.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append("Authority = ").Append(Authority)
            .Append(", ClientId = ").Append(ClientId)
            .Append(", ClientSecret = ").Append(string.IsNullOrEmpty(ClientSecret) ? "(unset)" : "(set)")
            .Append(", ClientSecretFile = ").Append(ClientSecretFile)
            .Append(", Scopes = ").Append(string.Join(' ', EffectiveScopes))
            .Append(", UserIdClaim = ").Append(UserIdClaim)
            .Append(", UserIdPrefix = ").Append(UserIdPrefix)
            .Append(", SignOutAtProvider = ").Append(SignOutAtProvider);
        return true;
    }
}
