using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Tokens;
using SessionGateway.Transport;

namespace SessionGateway.Authentication;

/// <summary>
/// Authenticates a request from its access token: <c>Authorization: Bearer</c> when the token is one of ours
/// (any other bearer token belongs to the upstream and is left alone), else the <c>sAccessToken</c> cookie.
/// Verification is local and cached by the engine: no database read. Challenges answer 401 "unauthorised"
/// when there was no token and the session-expired status ("try refresh token") when there was a bad one.
/// </summary>
internal sealed class SessionAuthenticationHandler(
    IOptionsMonitor<SessionAuthenticationOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    SessionEngine engine)
    : AuthenticationHandler<SessionAuthenticationOptions>(options, logger, encoder)
{
    private static readonly AuthenticateResult Expired = AuthenticateResult.Fail("access token expired");
    private static readonly AuthenticateResult Invalid = AuthenticateResult.Fail("access token invalid");
    private static readonly AuthenticateResult SeveralCookies = AuthenticateResult.Fail("several access-token cookies");
    private static readonly AuthenticateResult UnusualAuthorization = AuthenticateResult.Fail("a token of ours in an Authorization header that is not one plain bearer token");
    private static readonly AuthenticateResult AntiCsrfFailed = AuthenticateResult.Fail("anti-CSRF check failed");

    // Segments long enough to be an access-token payload that one request's Authorization headers may hold before
    // they count as carrying our token unexamined (fail closed): a few credentials have a handful, and each costs a
    // base64url decode (no signature check), so the work per request stays bounded whatever a client sends.
    private const int MaxCandidateSegments = 32;

    // One principal per verified token: the engine caches the token, so the principal is built once per token.
    private static readonly ConditionalWeakTable<VerifiedAccessToken, ClaimsPrincipal> Principals = [];

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(Authenticate());

    private AuthenticateResult Authenticate()
    {
        var headers = Request.Headers;
        var authorization = headers.Authorization;
        var refreshTokenAsBearer = false;
        if (authorization.Count == 1 && RequestTokens.ParseBearer(authorization[0]) is { } bearer)
        {
            // The common case: one plain "Bearer <token>".
            var check = engine.VerifyAccessToken(bearer);
            if (check.Status != AccessTokenStatus.Invalid)
            {
                // Header mode: no cookies involved, so no anti-CSRF check.
                Context.Features.Set(new SessionFeature(check.Token, BearerIsOurs: true));
                return check.IsValid ? Success(check.Token) : Expired;
            }

            if (RequestTokens.LooksLikeRefreshToken(bearer))
            {
                // A refresh token is for the refresh endpoint; anywhere else it authenticates nothing (the cookie
                // may still), and it is never forwarded.
                refreshTokenAsBearer = true;
                Context.Features.Set(new SessionFeature(null, BearerIsOurs: true));
            }
            else if (ContainsOurToken(bearer))
            {
                // Failed verification but claims our issuer (tampered, retired key, revoked), or one of our tokens
                // with something joined to it: "try refresh token", never passed on as somebody else's.
                Context.Features.Set(new SessionFeature(null, BearerIsOurs: true));
                return Invalid;
            }
        }
        else if (authorization.Count > 0 && CarriesOurToken(authorization))
        {
            // Our token, but not as one plain bearer credential: several Authorization headers, comma-joined
            // credentials, another scheme, quotes... Ambiguous, so refused; and the forwarding transform drops every
            // Authorization header, so the upstream never sees our token in any of its spellings.
            Context.Features.Set(new SessionFeature(null, BearerIsOurs: true));
            return UnusualAuthorization;
        }

        var count = RequestTokens.Cookie(headers, ProtocolNames.AccessTokenCookie, out var cookie);
        if (count == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (count > 1)
        {
            return SeveralCookies;
        }

        var result = cookie.Contains('%')
            ? engine.VerifyAccessToken(RequestTokens.Decode(cookie))
            : engine.VerifyAccessToken(cookie);
        if (!result.IsValid)
        {
            return result.Status == AccessTokenStatus.Expired ? Expired : Invalid;
        }

        if (!PassesAntiCsrf(result.Token) || !PassesWebSocketOrigin())
        {
            return AntiCsrfFailed;
        }

        Context.Features.Set(new SessionFeature(result.Token, BearerIsOurs: refreshTokenAsBearer));
        return Success(result.Token);
    }

    /// <summary>
    /// True when any <c>Authorization</c> value holds something shaped like one of our tokens, wherever it sits in
    /// the value and whatever is joined to it, Basic credentials included (see <see cref="ContainsOurToken"/>).
    /// </summary>
    private bool CarriesOurToken(Microsoft.Extensions.Primitives.StringValues authorization)
    {
        var budget = MaxCandidateSegments;
        foreach (var value in authorization)
        {
            if (engine.ContainsOurToken(value, ref budget) || engine.ContainsOurToken(RequestTokens.BasicCredentials(value), ref budget))
            {
                return true;
            }
        }

        return false;
    }

    private bool ContainsOurToken(string text)
    {
        var budget = MaxCandidateSegments;
        return engine.ContainsOurToken(text, ref budget);
    }

    /// <summary>
    /// A WebSocket handshake is a GET, so anti-CSRF exempts it, yet browsers open WebSockets to any site with
    /// its cookies and let the opening page read the stream. A cookie-authenticated handshake must therefore
    /// come from the gateway's own origin or an allowed origin (non-browser clients send no Origin). The whole
    /// origin counts: another port or scheme of the same host is another site (cookies do not isolate ports, so
    /// a page on any port of this host gets the session cookie along). The gateway's own origin is the scheme the
    /// request arrived with and its <c>Host</c>; behind a TLS terminator the scheme is https only when ASP.NET's
    /// forwarded-headers handling is turned on, otherwise list the public origin in <c>Session:Cors:AllowedOrigins</c>.
    /// </summary>
    private bool PassesWebSocketOrigin()
    {
        var isUpgrade = HttpMethods.IsConnect(Request.Method) ||
            Request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
        var origins = Request.Headers.Origin;
        if (!isUpgrade || origins.Count == 0 || (origins.Count == 1 && string.IsNullOrEmpty(origins[0])))
        {
            return true;
        }

        // Browsers send one Origin; several are nobody's, so none of them is trusted.
        var origin = origins.Count == 1 ? origins[0] ?? "" : "";
        if (Origins.IsRequestOrigin(origin, Request.Scheme, Request.Host))
        {
            return true;
        }

        foreach (var allowed in Options.AllowedOrigins)
        {
            if (Origins.AreSame(origin, allowed))
            {
                return true;
            }
        }

        return false;
    }

    private bool PassesAntiCsrf(VerifiedAccessToken token)
    {
        if (HttpMethods.IsGet(Request.Method) || HttpMethods.IsHead(Request.Method) || HttpMethods.IsOptions(Request.Method))
        {
            return true;
        }

        switch (Options.AntiCsrf)
        {
            case AntiCsrfMode.CustomHeader:
                // Browsers cannot add a custom header cross-site without a CORS preflight we would refuse.
                return Request.Headers.ContainsKey(ProtocolNames.RidHeader);
            case AntiCsrfMode.Token:
                var sent = Request.Headers[ProtocolNames.AntiCsrfHeader].ToString();
                return token.AntiCsrfToken is { } expected && sent.Length > 0 &&
                    CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(expected));
            default:
                return true;
        }
    }

    private AuthenticateResult Success(VerifiedAccessToken token)
    {
        var principal = Principals.GetValue(token, CreatePrincipal);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    private static ClaimsPrincipal CreatePrincipal(VerifiedAccessToken token)
    {
        var claims = new List<Claim>(token.CustomClaims.Count + 2)
        {
            new(SessionClaimTypes.UserId, token.UserId),
            new(SessionClaimTypes.SessionHandle, token.SessionHandle),
        };
        foreach (var (name, value) in token.CustomClaims)
        {
            claims.Add(new Claim(name, value));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, SessionAuthenticationDefaults.AuthenticationScheme, SessionClaimTypes.UserId, "role"));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        if (result.Failure is null)
        {
            await JsonResponses.WriteAsync(Response, StatusCodes.Status401Unauthorized, JsonResponses.Unauthorised);
        }
        else
        {
            await JsonResponses.WriteAsync(Response, Options.ExpiredStatusCode, JsonResponses.TryRefreshToken);
        }
    }
}
