using Microsoft.AspNetCore.Authentication;
using SessionGateway.Configuration;

namespace SessionGateway.Authentication;

/// <summary>Options of the session authentication scheme.</summary>
internal sealed class SessionAuthenticationOptions : AuthenticationSchemeOptions
{
    /// <summary>Status for an expired or invalid access token ("try refresh token").</summary>
    public int ExpiredStatusCode { get; set; } = 440;

    /// <summary>The anti-CSRF check applied to cookie-mode requests that change state.</summary>
    public AntiCsrfMode AntiCsrf { get; set; } = AntiCsrfMode.None;

    /// <summary>Origins besides the gateway's own host that may open cookie-authenticated WebSockets.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; set; } = [];
}
