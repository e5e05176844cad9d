using Microsoft.Net.Http.Headers;
using SessionGateway.Assertions;
using SessionGateway.Authentication;
using SessionGateway.Proxy;
using SessionGateway.Transport;
using Yarp.ReverseProxy.Model;

namespace SessionGateway.ForwardAuth;

/// <summary>
/// Answers a decision request that the route's policy let through (right after <c>RouteAccessMiddleware</c>, so the
/// route's endpoint never runs): 200 with the headers the proxy copies onto the upstream request. An absent header
/// means "remove it" (docs/forward-auth.md): the identity headers when there is no session, <c>Cookie</c> when only
/// the gateway's token cookies were in it, <c>Authorization</c> when it carried a gateway token. With a session, the
/// signed assertion too when the matched route opts in (or <c>Session:Assertion:AllRoutes</c>), with that route's
/// audience, from the same per-token cache as in proxy mode.
/// </summary>
internal sealed class ForwardAuthAnswerMiddleware(
    RequestDelegate next, IdentityHeaderTransform identityHeaders, SessionAssertions assertions, SessionAuthenticator authenticator)
{
    public Task InvokeAsync(HttpContext context)
    {
        var feature = context.Features.Get<ForwardAuthFeature>();
        if (feature is null)
        {
            return next(context);
        }

        // A path the gateway answers itself (refresh, sign-out, JWKS, your devices, sign-in, OpenID Connect) matched its
        // own endpoint, which lets anyone in because the gateway judges those requests itself. Described in a decision
        // request, the ingress is about to send it to the app instead: judged like a path that matches no route (a
        // session is needed), never let through on the gateway endpoint's say-so.
        if (context.GetEndpoint() is { } endpoint && endpoint.Metadata.GetMetadata<RouteModel>() is null &&
            authenticator.Authenticate(context) is { Succeeded: false } refused)
        {
            return SessionChallenge.WriteAsync(context, refused, authenticator.Options);
        }

        var request = context.Request;
        var response = context.Response;
        var answer = response.Headers;
        response.StatusCode = StatusCodes.Status200OK;
        answer.CacheControl = "no-store";
        response.ContentLength = 0;

        var names = identityHeaders.Names;
        var session = context.Features.Get<SessionFeature>();
        if (session?.Token is { } token)
        {
            answer[names.UserId] = IdentityHeaderTransform.HeaderValue(token.UserId);
            answer[names.SessionHandle] = IdentityHeaderTransform.HeaderValue(token.SessionHandle);
            foreach (var (claim, header) in names.Claims)
            {
                if (token.CustomClaims.TryGetValue(claim, out var value))
                {
                    answer[header] = IdentityHeaderTransform.HeaderValue(value);
                }
            }

            // Paths that match no route have no audience, so no assertion.
            if (assertions.AudienceFor(context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config) is { } audience)
            {
                answer[assertions.HeaderName] = assertions.Get(token, audience);
            }
        }

        var cookie = request.Headers.Cookie.Count > 0 ? RequestTokens.CookiesWithoutTokens(request.Headers) : null;
        if (cookie is not null)
        {
            answer[HeaderNames.Cookie] = cookie;
        }

        var bearerIsOurs = session?.BearerIsOurs == true;
        if (!bearerIsOurs && request.Headers.Authorization.Count > 0)
        {
            answer[HeaderNames.Authorization] = request.Headers.Authorization;
        }

        if (feature.Shape == ForwardAuthShape.Direct)
        {
            // Envoy overrides the headers it copies from the answer but keeps the client's others: it is told which to
            // remove. Not the ones set above (Envoy would remove them after setting them).
            var remove = HeadersToRemove(request.Headers, answer, identityHeaders.Filter, cookieEmptied: cookie is null && request.Headers.Cookie.Count > 0, bearerIsOurs);
            if (remove is not null)
            {
                answer[ForwardAuthHeaders.EnvoyHeadersToRemove] = remove;
            }
        }

        return Task.CompletedTask;
    }

    private static string? HeadersToRemove(IHeaderDictionary request, IHeaderDictionary answer, IdentityHeaderFilter filter, bool cookieEmptied, bool bearerIsOurs)
    {
        List<string>? names = null;
        foreach (var header in request)
        {
            if (filter.IsOwned(header.Key) && !answer.ContainsKey(header.Key))
            {
                (names ??= []).Add(header.Key.ToLowerInvariant());
            }
        }

        if (cookieEmptied)
        {
            (names ??= []).Add("cookie");
        }

        if (bearerIsOurs)
        {
            (names ??= []).Add("authorization");
        }

        return names is null ? null : string.Join(", ", names);
    }
}
