namespace SessionGateway.Configuration;

/// <summary>The <c>SameSite</c> attribute of session cookies.</summary>
internal enum CookieSameSite
{
    Lax,
    Strict,
    None,
}
