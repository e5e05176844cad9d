using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Transport;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SessionGateway.Proxy;

/// <summary>Adds the gateway's own transforms to every route, whatever the route's configuration says.</summary>
internal sealed class GatewayTransformProvider(
    IdentityHeaderTransform identityHeaders,
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
        var login = context.Route.Metadata?.TryGetValue(LoginSettings.RouteMetadataKey, out var value) == true && value == "true";
        context.ResponseTransforms.Add(new SessionLoginTransform(login, engine, writer, settings, loginLogger));
    }
}
