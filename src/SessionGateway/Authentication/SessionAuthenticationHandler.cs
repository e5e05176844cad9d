using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace SessionGateway.Authentication;

/// <summary>
/// The <c>Session</c> authentication scheme, for code that asks ASP.NET Core to authenticate
/// (<c>HttpContext.AuthenticateAsync</c>, <c>ChallengeAsync</c>): it delegates to <see cref="SessionAuthenticator"/>,
/// which the route access middleware calls directly on the request path. Challenges answer 401 "unauthorised" when
/// there was no token and the session-expired status ("try refresh token") when there was a bad one.
/// </summary>
internal sealed class SessionAuthenticationHandler(
    IOptionsMonitor<SessionAuthenticationOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    SessionAuthenticator authenticator)
    : AuthenticationHandler<SessionAuthenticationOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(authenticator.Authenticate(Context));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties) =>
        await SessionChallenge.WriteAsync(Context, await HandleAuthenticateOnceSafeAsync(), Options);
}
