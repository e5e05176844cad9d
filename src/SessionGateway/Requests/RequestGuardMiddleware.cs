using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Transport;

namespace SessionGateway.Requests;

/// <summary>
/// The first step of the request path, before CORS and routing: refuses what the gateway will not forward and
/// normalises the path, so that the router, the route's policy and the upstream all see one and the same path:
/// the <c>Session:Paths</c> rules (<see cref="RequestPaths"/>); a refused path gets 400.
/// </summary>
internal sealed partial class RequestGuardMiddleware(RequestDelegate next, IOptionsMonitor<SessionSettings> settings, ILogger<RequestGuardMiddleware> logger)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
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

    private static string Describe(PathRefusal refusal) => refusal switch
    {
        PathRefusal.Backslash => "a backslash",
        PathRefusal.EscapedSlash => "an encoded slash (%2F)",
        _ => "a path parameter (;)",
    };

    private static partial class Log
    {
        [LoggerMessage(2101, LogLevel.Information, "Refused {Method} {Path} with 400: it has {Refusal}, which upstreams read differently (Session:Paths)")]
        public static partial void PathRefused(ILogger logger, string method, string path, string refusal);
    }
}
