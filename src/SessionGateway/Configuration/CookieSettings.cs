namespace SessionGateway.Configuration;

/// <summary>Attributes of the <c>sAccessToken</c> and <c>sRefreshToken</c> cookies.</summary>
internal sealed record CookieSettings
{
    public CookieSecure Secure { get; set; } = CookieSecure.Auto;

    public CookieSameSite SameSite { get; set; } = CookieSameSite.Lax;

    /// <summary>Cookie domain; unset means host-only cookies.</summary>
    public string? Domain { get; set; }
}
