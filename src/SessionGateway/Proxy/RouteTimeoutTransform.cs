using Microsoft.AspNetCore.Http.Timeouts;
using Yarp.ReverseProxy.Transforms;

namespace SessionGateway.Proxy;

/// <summary>
/// On a route with a <c>Timeout</c>: when the route's timeout ends the request before the
/// upstream answered, the client gets 504 Gateway Timeout. The framework's timeout cancels the request the way a
/// client that went away does, and YARP answers that with 400; here the timeout is told apart by its own token.
/// </summary>
internal sealed class RouteTimeoutTransform : ResponseTransform
{
    public static readonly RouteTimeoutTransform Instance = new();

    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var http = context.HttpContext;
        if (context.ProxyResponse is null && !http.Response.HasStarted &&
            http.Features.Get<IHttpRequestTimeoutFeature>()?.RequestTimeoutToken.IsCancellationRequested == true)
        {
            http.Response.StatusCode = StatusCodes.Status504GatewayTimeout;
        }

        return ValueTask.CompletedTask;
    }
}
