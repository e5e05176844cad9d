using Microsoft.Extensions.Options;
using SessionGateway.Assertions;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Transport;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SessionGateway.Proxy;

/// <summary>
/// Adds the gateway's own transforms to every route, whatever the route's configuration says, and the signed identity
/// assertion to the routes that get one (YARP builds a route's transforms again when a reload changes the route).
/// </summary>
internal sealed class GatewayTransformProvider(
    IdentityHeaderTransform identityHeaders,
    SessionAssertions assertions,
    SessionEngine engine,
    SessionResponseWriter writer,
    IOptionsMonitor<SessionSettings> settings,
    ILogger<SessionLoginTransform> loginLogger) : ITransformProvider
{
    public void ValidateRoute(TransformRouteValidationContext context)
    {
        if (context.Route.Metadata?.TryGetValue(LoginSettings.RouteMetadataKey, out var value) == true &&
            value is not ("true" or "false"))
        {
            context.Errors.Add(new ArgumentException($"Route '{context.Route.RouteId}': metadata {LoginSettings.RouteMetadataKey} must be \"true\" or \"false\", not '{value}'."));
        }
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        context.RequestTransforms.Add(identityHeaders);
        if (assertions.AudienceFor(context.Route) is { } audience)
        {
            // After the identity transform, which strips a client's assertion header in every spelling.
            context.RequestTransforms.Add(new AssertionTransform(assertions, audience));
        }

        var login = context.Route.Metadata?.TryGetValue(LoginSettings.RouteMetadataKey, out var value) == true && value == "true";
        context.ResponseTransforms.Add(new SessionLoginTransform(login, engine, writer, settings, loginLogger));
    }
}
