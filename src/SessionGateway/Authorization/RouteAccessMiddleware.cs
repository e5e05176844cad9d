using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using SessionGateway.Authentication;
using SessionGateway.Oidc;
using SessionGateway.Telemetry;

namespace SessionGateway.Authorization;

/// <summary>
/// Authentication and authorization of every routed request, in one step and with ASP.NET Core's own parts: the
/// session scheme's <see cref="SessionAuthenticator"/> sets <c>HttpContext.User</c>; the route's authorization policy
/// (<see cref="RouteAccessPolicies"/>) decides; policies with requirements beyond a session (claims) go to
/// <see cref="IAuthorizationService"/> and its handlers. No session where one is needed: 401 or the session-expired
/// status (<see cref="SessionChallenge"/>); a session without the claims: 403 (<see cref="ClaimFailures"/>).
/// <para>
/// It stands in for <c>UseAuthentication</c> + <c>UseAuthorization</c>, whose generic per-request work (a service
/// scope, a handler and an authentication service resolved from it, the policy combined and evaluated with a new
/// handler context, an async frame each that every response passes back through) measured about a tenth of the
/// gateway's CPU on a proxied request. Here a request with a cached token allocates nothing for authentication, a
/// route whose policy is "a session" is decided without the authorization service, and the request goes on without
/// an extra async frame.
/// </para>
/// </summary>
internal sealed class RouteAccessMiddleware(
    RequestDelegate next,
    SessionAuthenticator authenticator,
    RouteAccessPolicies policies,
    IAuthorizationService authorization,
    SessionMetrics metrics,
    BrowserNavigation navigation)
{
    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        // A request that matches no route (a scanner's guesses, mostly) is refused like any other but not counted as a
        // decision: sessiongateway.auth.decisions counts what routes decided (its 404/401 still shows in
        // http.server.request.duration, without an http.route).
        var counter = endpoint is null ? null : metrics;
        return policies.TryGet(endpoint, out var access) ? DecideAsync(context, access, counter) : ResolveThenDecideAsync(context, endpoint, counter);
    }

    private async Task ResolveThenDecideAsync(HttpContext context, Endpoint? endpoint, SessionMetrics? counter) =>
        await DecideAsync(context, await policies.ResolveAsync(endpoint), counter);

    private Task DecideAsync(HttpContext context, RouteAccess access, SessionMetrics? counter)
    {
        // Every request is authenticated, also on public routes: a session there still reaches the upstream as
        // identity headers.
        var result = Authenticate(context);
        if (result.Succeeded)
        {
            context.User = result.Principal;
        }

        // Each decision is counted here, where it is made (sessiongateway.auth.decisions): one cached tag, no allocation.
        if (access.AllowsAnonymous)
        {
            if (result.Succeeded)
            {
                counter?.AuthValid();
            }
            else
            {
                counter?.AuthAnonymous();
            }

            return next(context);
        }

        if (access.SessionSuffices)
        {
            if (result.Succeeded)
            {
                counter?.AuthValid();
                return next(context);
            }

            return RefuseAsync(context, result, counter);
        }

        return AuthorizeAsync(context, access.Policy!, result, counter);
    }

    /// <summary>The authentication step as a span (only when a tracing listener samples it), tagged with what it found.</summary>
    private AuthenticateResult Authenticate(HttpContext context)
    {
        using var activity = GatewaySpans.Source.StartActivity(GatewaySpans.Authenticate);
        var result = authenticator.Authenticate(context);
        activity?.SetTag(GatewaySpans.OutcomeAttribute, result.Succeeded ? "valid" : result.Failure is null ? "missing" : SessionAuthenticator.IsExpired(result) ? "expired" : "invalid");
        return result;
    }

    private Task RefuseAsync(HttpContext context, AuthenticateResult result, SessionMetrics? counter)
    {
        counter?.AuthRefused(tokenPresent: result.Failure is not null, expired: SessionAuthenticator.IsExpired(result));
        // Session:Oidc:RedirectUnauthenticated: a page load (not an API call) goes to the login instead. Only refusals
        // pay for the check.
        return navigation.Redirects(context.Request) ? navigation.RedirectAsync(context) : SessionChallenge.WriteAsync(context, result, authenticator.Options);
    }

    private async Task AuthorizeAsync(HttpContext context, AuthorizationPolicy policy, AuthenticateResult result, SessionMetrics? counter)
    {
        var outcome = await authorization.AuthorizeAsync(context.User, context, policy);
        if (outcome.Succeeded)
        {
            if (result.Succeeded)
            {
                counter?.AuthValid();
            }
            else
            {
                counter?.AuthAnonymous();
            }

            await next(context);
        }
        else if (result.Succeeded)
        {
            counter?.AuthForbidden();
            await ClaimFailures.WriteAsync(context, outcome.Failure);
        }
        else
        {
            await RefuseAsync(context, result, counter);
        }
    }
}
