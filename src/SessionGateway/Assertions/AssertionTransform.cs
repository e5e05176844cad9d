using SessionGateway.Authentication;
using Yarp.ReverseProxy.Transforms;

namespace SessionGateway.Assertions;

/// <summary>
/// Adds the signed identity assertion to a forwarded request with a session, on a route that opts in (built per route
/// by <c>GatewayTransformProvider</c> with the route's audience, so routes without one pay nothing). Runs after
/// <c>IdentityHeaderTransform</c>, which has already removed a client's header of that name in every spelling.
/// </summary>
internal sealed class AssertionTransform(SessionAssertions assertions, string audience) : RequestTransform
{
    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        if (context.HttpContext.Features.Get<SessionFeature>()?.Token is { } token)
        {
            var headers = context.ProxyRequest.Headers;
            // Never two values: whatever else may have set the header on this request, ours is the only one.
            headers.Remove(assertions.HeaderName);
            headers.TryAddWithoutValidation(assertions.HeaderName, assertions.Get(token, audience));
        }

        return ValueTask.CompletedTask;
    }
}
