using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Transport;

namespace SessionGateway.Requests;

/// <summary>
/// The first step of the request path, before CORS and routing: refuses what the gateway will not forward and
/// normalises the path, so that the router, the route's policy and the upstream all see one and the same path.
/// <list type="bullet">
/// <item>Methods: <c>CONNECT</c> (YARP cannot forward it; HTTP/2 WebSocket handshakes, which are extended
/// <c>CONNECT</c>s with <c>:protocol</c> <c>websocket</c>, still pass; other extended <c>CONNECT</c>s do not), <c>TRACE</c> and <c>TRACK</c> (they echo the request, identity headers included,
/// and no app behind a session gateway needs them) get 405 instead of reaching the forwarder.</item>
/// <item>Paths: the <c>Session:Paths</c> rules (<see cref="RequestPaths"/>); a refused path gets 400.</item>
/// </list>
/// </summary>
internal sealed partial class RequestGuardMiddleware(RequestDelegate next, IOptionsMonitor<SessionSettings> settings, ILogger<RequestGuardMiddleware> logger)
{
    /// <summary>What a 405 from the guard says is allowed: the methods the forwarder carries (besides extension methods).</summary>
    internal const string AllowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (IsRefusedMethod(context))
        {
            Log.MethodRefused(logger, request.Method);
            return JsonResponses.MethodNotAllowedAsync(context.Response, AllowedMethods);
        }

        var verdict = RequestPaths.Normalise(request.Path.Value, settings.CurrentValue.Paths);
        if (verdict.Refusal is { } refusal)
        {
            Log.PathRefused(logger, request.Method, request.Path.ToUriComponent(), Describe(refusal));
            return JsonResponses.WriteAsync(context.Response, StatusCodes.Status400BadRequest, JsonResponses.PathRefused(refusal));
        }

        if (verdict.Path is { } normalised)
        {
            request.Path = new PathString(normalised);
        }

        return next(context);
    }

    private static bool IsRefusedMethod(HttpContext context)
    {
        var method = context.Request.Method;
        if (HttpMethods.IsGet(method) || HttpMethods.IsPost(method))
        {
            return false;
        }

        return HttpMethods.IsTrace(method) ||
            string.Equals(method, "TRACK", StringComparison.OrdinalIgnoreCase) ||
            (HttpMethods.IsConnect(method) && !IsWebSocketHandshake(context));
    }

    /// <summary>
    /// An HTTP/2 WebSocket handshake: an extended <c>CONNECT</c> whose <c>:protocol</c> is <c>websocket</c> (RFC 8441).
    /// Any other protocol (<c>connect-udp</c>, made-up ones) is a tunnel YARP cannot carry, so it is refused like
    /// <c>CONNECT</c> rather than left to fail inside the forwarder.
    /// </summary>
    private static bool IsWebSocketHandshake(HttpContext context) =>
        context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect &&
        string.Equals(connect.Protocol, "websocket", StringComparison.OrdinalIgnoreCase);

    private static string Describe(PathRefusal refusal) => refusal switch
    {
        PathRefusal.Backslash => "a backslash",
        PathRefusal.EscapedSlash => "an encoded slash (%2F)",
        _ => "a path parameter (;)",
    };

    private static partial class Log
    {
        [LoggerMessage(2100, LogLevel.Debug, "Refused a {Method} request: the gateway does not forward this method")]
        public static partial void MethodRefused(ILogger logger, string method);

        [LoggerMessage(2101, LogLevel.Information, "Refused {Method} {Path} with 400: it has {Refusal}, which upstreams read differently (Session:Paths)")]
        public static partial void PathRefused(ILogger logger, string method, string path, string refusal);
    }
}
