using Microsoft.AspNetCore.Authentication;

namespace SessionGateway.Authentication;

/// <summary>
/// What authenticating with one verified token yields, built once per token (see <see cref="SessionAuthenticator"/>):
/// the successful result with its principal, and the session feature for a cookie or a bearer token.
/// </summary>
internal sealed record AuthenticatedSession(AuthenticateResult Result, SessionFeature CookieFeature, SessionFeature BearerFeature);
