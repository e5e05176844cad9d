using Microsoft.Extensions.Options;
using SessionGateway.Assertions;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Transport;
using Yarp.ReverseProxy.Transforms.Builder;

namespace SessionGateway.Proxy;

/// <summary>
/// Adds the gateway's own transforms to every route, whatever the route's configuration says, and the signed identity
/// assertion to the routes that get one, and the form-login transforms to routes with <c>SessionLogin: "form"</c> (YARP
/// builds a route's transforms again when a reload changes the route). Other routes pay nothing for forms.
/// </summary>
internal sealed class GatewayTransformProvider(
    IdentityHeaderTransform identityHeaders,
    SessionAssertions assertions,
    SessionStarter starter,
    IOptionsMonitor<SessionSettings> settings,
    ILogger<SessionLoginTransform> loginLogger,
    ILogger<FormLoginResponseTransform> formLogger) : ITransformProvider
{
    private readonly FormLoginRequestTransform _formRequest = new(settings);
    private readonly FormLoginResponseTransform _formResponse = new(starter, settings, formLogger);

    public void ValidateRoute(TransformRouteValidationContext context)
    {
        if (context.Route.Metadata?.TryGetValue(LoginSettings.RouteMetadataKey, out var value) == true &&
            value is not ("true" or "false" or FormLoginSettings.RouteMetadataValue))
        {
            context.Errors.Add(new ArgumentException($"Route '{context.Route.RouteId}': metadata {LoginSettings.RouteMetadataKey} must be \"true\", \"false\" or \"form\", not '{value}'."));
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

        string? login = null;
        context.Route.Metadata?.TryGetValue(LoginSettings.RouteMetadataKey, out login);
        // On every route: it takes the login headers off responses. Only "true" routes create sessions from them.
        context.ResponseTransforms.Add(new SessionLoginTransform(login == "true", starter, settings, loginLogger));
        if (login == FormLoginSettings.RouteMetadataValue)
        {
            context.RequestTransforms.Add(_formRequest);
            context.ResponseTransforms.Add(_formResponse);
        }

        // (A TimeoutPolicy can only be Disable here: no named policies are defined.)
        if (context.Route.Timeout is not null)
        {
            context.ResponseTransforms.Add(RouteTimeoutTransform.Instance);
        }
    }
}
