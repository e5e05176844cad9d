namespace SessionGateway.Oidc;

/// <summary>The gateway's own paths for OpenID Connect login, per provider.</summary>
internal static class OidcPaths
{
    public const string LoginPrefix = "/api/login/";
    public const string CallbackPrefix = "/api/callback/";
    public const string LogoutPrefix = "/api/logout/";
    public const string LogoutCallbackPrefix = "/api/logout-callback/";

    /// <summary>The authentication scheme of a provider (provider names are unique, the scheme names with them).</summary>
    public static string Scheme(string provider) => "oidc-" + provider;

    public static string Login(string provider) => LoginPrefix + provider;

    /// <summary>The login path that comes back to <paramref name="target"/>.</summary>
    public static string Login(string provider, string target) => Login(provider) + "?redirect=" + Uri.EscapeDataString(target);
}
