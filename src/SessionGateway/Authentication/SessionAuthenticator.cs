using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
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
/// Verification is local and cached by the engine: no database read. One instance serves every request, so the
/// per-request cost is the token lookup itself: the route access middleware calls it directly, and the
/// <see cref="SessionAuthenticationHandler"/> (the <c>Session</c> scheme, for <c>HttpContext.AuthenticateAsync</c>)
/// delegates to it.
/// </summary>
internal sealed class SessionAuthenticator(IOptionsMonitor<SessionAuthenticationOptions> optionsMonitor, SessionEngine engine)
{
    /// <summary>The scheme's options as of now (they follow proxy.yaml reloads).</summary>
    public SessionAuthenticationOptions Options => optionsMonitor.Get(SessionAuthenticationDefaults.AuthenticationScheme);

    private static readonly AuthenticateResult Expired = AuthenticateResult.Fail("access token expired");
    private static readonly AuthenticateResult Invalid = AuthenticateResult.Fail("access token invalid");
    private static readonly AuthenticateResult SeveralCookies = AuthenticateResult.Fail("several access-token cookies");
    private static readonly AuthenticateResult UnusualAuthorization = AuthenticateResult.Fail("a token of ours in an Authorization header that is not one plain bearer token");
    private static readonly AuthenticateResult AntiCsrfFailed = AuthenticateResult.Fail("anti-CSRF check failed");

    // The Authorization header carried one of our tokens (or a refresh token) that authenticates nothing: it is
    // still ours, so it is not forwarded.
    private static readonly SessionFeature OurBearerWithoutSession = new(null, BearerIsOurs: true);

    // Segments long enough to be an access-token payload that one request's Authorization headers may hold before
    // they count as carrying our token unexamined (fail closed): a few credentials have a handful, and each costs a
    // base64url decode (no signature check), so the work per request stays bounded whatever a client sends.
    private const int MaxCandidateSegments = 32;

    // One result per verified token: the engine caches the token, so its principal, ticket and result are built
    // once per token and a request with a cached token allocates none of them.
    private static readonly ConditionalWeakTable<VerifiedAccessToken, AuthenticatedSession> Sessions = [];

    /// <summary>True when <paramref name="result"/> is the failure of an expired access token (not a tampered or revoked one).</summary>
    public static bool IsExpired(AuthenticateResult result) => ReferenceEquals(result, Expired);

    /// <summary>
    /// Authenticates <paramref name="context"/> and, when the request carries one of our tokens, records what was
    /// found in its <see cref="SessionFeature"/> for the forwarding transforms. Never throws for client input.
    /// </summary>
    public AuthenticateResult Authenticate(HttpContext context)
    {
        var headers = context.Request.Headers;
        var authorization = headers.Authorization;
        var refreshTokenAsBearer = false;
        if (authorization.Count == 1 && RequestTokens.TryParseBearer(authorization[0], out var bearer))
        {
            // The common case: one plain "Bearer <token>", looked up without copying it out of the header.
            var check = engine.VerifyAccessToken(bearer);
            if (check.Status != AccessTokenStatus.Invalid)
            {
                // Header mode: no cookies involved, so no anti-CSRF check.
                if (!check.IsValid)
                {
                    context.Features.Set(OurBearerWithoutSession);
                    return Expired;
                }

                var bearerSession = SessionOf(check.Token);
                context.Features.Set(bearerSession.BearerFeature);
                return bearerSession.Result;
            }

            if (RequestTokens.LooksLikeRefreshToken(bearer))
            {
                // A refresh token is for the refresh endpoint; anywhere else it authenticates nothing (the cookie
                // may still), and it is never forwarded.
                refreshTokenAsBearer = true;
                context.Features.Set(OurBearerWithoutSession);
            }
            else if (ContainsOurToken(bearer.ToString()))
            {
                // Failed verification but claims our issuer (tampered, retired key, revoked), or one of our tokens
                // with something joined to it: "try refresh token", never passed on as somebody else's.
                context.Features.Set(OurBearerWithoutSession);
                return Invalid;
            }
        }
        else if (authorization.Count > 0 && CarriesOurToken(authorization))
        {
            // Our token, but not as one plain bearer credential: several Authorization headers, comma-joined
            // credentials, another scheme, quotes... Ambiguous, so refused; and the forwarding transform drops every
            // Authorization header, so the upstream never sees our token in any of its spellings.
            context.Features.Set(OurBearerWithoutSession);
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

        var options = Options;
        if (!PassesAntiCsrf(context.Request, options, result.Token) || !PassesWebSocketOrigin(context.Request, options))
        {
            return AntiCsrfFailed;
        }

        var session = SessionOf(result.Token);
        context.Features.Set(refreshTokenAsBearer ? session.BearerFeature : session.CookieFeature);
        return session.Result;
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
    private static bool PassesWebSocketOrigin(HttpRequest request, SessionAuthenticationOptions options)
    {
        var isUpgrade = HttpMethods.IsConnect(request.Method) ||
            request.Headers.Upgrade.ToString().Contains("websocket", StringComparison.OrdinalIgnoreCase);
        var origins = request.Headers.Origin;
        if (!isUpgrade || origins.Count == 0 || (origins.Count == 1 && string.IsNullOrEmpty(origins[0])))
        {
            return true;
        }

        // Browsers send one Origin; several are nobody's, so none of them is trusted.
        var origin = origins.Count == 1 ? origins[0] ?? "" : "";
        if (Origins.IsRequestOrigin(origin, request.Scheme, request.Host))
        {
            return true;
        }

        foreach (var allowed in options.AllowedOrigins)
        {
            if (Origins.AreSame(origin, allowed))
            {
                return true;
            }
        }

        return false;
    }

    private static bool PassesAntiCsrf(HttpRequest request, SessionAuthenticationOptions options, VerifiedAccessToken token)
    {
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
        {
            return true;
        }

        switch (options.AntiCsrf)
        {
            case AntiCsrfMode.CustomHeader:
                // Browsers cannot add a custom header cross-site without a CORS preflight we would refuse.
                return request.Headers.ContainsKey(ProtocolNames.RidHeader);
            case AntiCsrfMode.Token:
                var sent = request.Headers[ProtocolNames.AntiCsrfHeader].ToString();
                return token.AntiCsrfToken is { } expected && sent.Length > 0 &&
                    CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(sent), Encoding.UTF8.GetBytes(expected));
            default:
                return true;
        }
    }

    private static AuthenticatedSession SessionOf(VerifiedAccessToken token) => Sessions.GetValue(token, CreateSession);

    private static AuthenticatedSession CreateSession(VerifiedAccessToken token)
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

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, SessionAuthenticationDefaults.AuthenticationScheme, SessionClaimTypes.UserId, "role"));
        return new AuthenticatedSession(
            AuthenticateResult.Success(new AuthenticationTicket(principal, SessionAuthenticationDefaults.AuthenticationScheme)),
            new SessionFeature(token, BearerIsOurs: false),
            new SessionFeature(token, BearerIsOurs: true));
    }
}
