using Microsoft.Net.Http.Headers;
using SessionGateway.Authentication;
using SessionGateway.Proxy;
using SessionGateway.Transport;

namespace SessionGateway.ForwardAuth;

/// <summary>
/// Answers a decision request that the route's policy let through (right after <c>RouteAccessMiddleware</c>, so the
/// route's endpoint never runs): 200 with the headers the proxy copies onto the upstream request. An absent header
/// means "remove it" (docs/forward-auth.md): the identity headers when there is no session, <c>Cookie</c> when only
/// the gateway's token cookies were in it, <c>Authorization</c> when it carried a gateway token.
/// </summary>
internal sealed class ForwardAuthAnswerMiddleware(RequestDelegate next, IdentityHeaderTransform identityHeaders)
{
    public Task InvokeAsync(HttpContext context)
    {
        var feature = context.Features.Get<ForwardAuthFeature>();
        if (feature is null)
        {
            return next(context);
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
