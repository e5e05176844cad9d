using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using SessionGateway.Transport;

namespace SessionGateway.Admin;

/// <summary>
/// The admin API key scheme: <c>Authorization: Bearer &lt;key&gt;</c>, compared in constant time
/// (<see cref="AdminApiKey"/>). Outcomes are values (no header: no result; anything else that is not the key: a
/// failure); only the challenge writes, a 401 with <c>WWW-Authenticate: Bearer</c> and a JSON message, and it reports
/// the refusal (<see cref="AdminKeyFailures"/>, never with the value presented).
/// </summary>
internal sealed class AdminKeyHandler(
    IOptionsMonitor<AdminKeyOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    AdminKeyFailures failures)
    : AuthenticationHandler<AdminKeyOptions>(options, logger, encoder)
{
    private const string BearerPrefix = "Bearer ";

    private static readonly AuthenticateResult NotBearer = AuthenticateResult.Fail("the Authorization header is not one Bearer credential");
    private static readonly AuthenticateResult WrongKey = AuthenticateResult.Fail("wrong admin API key");

    private static readonly byte[] KeyRequiredBody = Encoding.UTF8.GetBytes("""{"message":"unauthorised: send the admin API key as Authorization: Bearer <key>"}""");
    private static readonly byte[] WrongKeyBody = Encoding.UTF8.GetBytes("""{"message":"unauthorised: wrong admin API key"}""");

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(Authenticate());

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var presented = !result.None;
        failures.Refused(Context, presented ? (ReferenceEquals(result, WrongKey) ? "wrong key" : "not a bearer credential") : "no key");

        // RFC 6750: no error code when no credentials were sent; invalid_token for a key that is not the key.
        Response.Headers.WWWAuthenticate = presented ? "Bearer error=\"invalid_token\"" : "Bearer";
        await JsonResponses.WriteAsync(Response, StatusCodes.Status401Unauthorized, presented ? WrongKeyBody : KeyRequiredBody);
    }

    private AuthenticateResult Authenticate()
    {
        var header = Request.Headers.Authorization;
        if (header.Count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        // Two Authorization headers are no one credential: refused rather than picked from.
        if (header.Count > 1 || header[0] is not { } value ||
            !value.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return NotBearer;
        }

        var presented = value.AsSpan(BearerPrefix.Length).Trim(' ');
        if (presented.IsEmpty)
        {
            return NotBearer;
        }

        if (Options.Key is not { } key || !key.Matches(presented))
        {
            return WrongKey;
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "admin-api-key")], Scheme.Name);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }
}
