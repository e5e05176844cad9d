using Microsoft.AspNetCore.Authentication;
using SessionGateway.Transport;

namespace SessionGateway.Authentication;

/// <summary>The answer to a request that needs a session and has none.</summary>
internal static class SessionChallenge
{
    /// <summary>
    /// 401 "unauthorised" when the request carried no token of ours (sign in); the session-expired status with
    /// "try refresh token" when it carried one that failed (expired, tampered, revoked, anti-CSRF), so the SDK
    /// refreshes and retries.
    /// </summary>
    public static Task WriteAsync(HttpContext context, AuthenticateResult result, SessionAuthenticationOptions options) =>
        result.Failure is null
            ? JsonResponses.WriteAsync(context.Response, StatusCodes.Status401Unauthorized, JsonResponses.Unauthorised)
            : JsonResponses.WriteAsync(context.Response, options.ExpiredStatusCode, JsonResponses.TryRefreshToken);
}
