using Microsoft.AspNetCore.Authorization;

namespace SessionGateway.Authorization;

/// <summary>
/// What a route asks of a request, worked out once per endpoint: nothing (<c>anonymous</c>), a session and nothing
/// more (<c>default</c>, and routes without a policy), or a policy whose further requirements (claims) the
/// authorization service evaluates.
/// </summary>
internal sealed record RouteAccess(AuthorizationPolicy? Policy, bool AllowsAnonymous, bool SessionSuffices)
{
    public static readonly RouteAccess Anonymous = new(null, AllowsAnonymous: true, SessionSuffices: true);

    public static RouteAccess For(AuthorizationPolicy? policy)
    {
        if (policy is null)
        {
            // No policy and no fallback: ASP.NET Core lets such a request through, and so does the gateway. The
            // gateway always sets a fallback policy, so this only happens to endpoints that opted out themselves.
            return Anonymous;
        }

        var sessionSuffices = policy.Requirements.Count > 0;
        foreach (var requirement in policy.Requirements)
        {
            sessionSuffices &= requirement is Microsoft.AspNetCore.Authorization.Infrastructure.DenyAnonymousAuthorizationRequirement;
        }

        return new RouteAccess(policy, AllowsAnonymous: false, sessionSuffices);
    }
}
