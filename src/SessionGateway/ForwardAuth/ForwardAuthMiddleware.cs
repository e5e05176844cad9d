using System.Text;
using Microsoft.AspNetCore.Http.Features;
using SessionGateway.Transport;

namespace SessionGateway.ForwardAuth;

/// <summary>
/// The front of the decision endpoint (<c>Session:ForwardAuth:Path</c>), first in the request path. A decision request
/// is rewritten into the original request it asks about (method, scheme, host, path and query) and marked with a
/// <see cref="ForwardAuthFeature"/>, so that every later step judges it exactly as it would judge that request in proxy
/// mode: the path rules, the routes of proxy.yaml with their host and method matches, rate limits, authentication
/// and the route's policy. A refusal is written by those steps as in proxy mode; <see cref="ForwardAuthAnswerMiddleware"/>
/// answers what they let through. For nginx, whose <c>auth_request</c> turns any status but 2xx, 401 and 403 into a
/// 500, a refusal is re-answered as 401 carrying the real status and body in headers (the shipped snippet's
/// <c>error_page</c> turns it back).
/// </summary>
internal sealed partial class ForwardAuthMiddleware(RequestDelegate next, ForwardAuthEndpoint endpoint, TimeProvider time, ILogger<ForwardAuthMiddleware> logger)
{
    private static readonly ForwardAuthFeature NginxShape = new(ForwardAuthShape.Nginx);
    private static readonly ForwardAuthFeature ForwardedShape = new(ForwardAuthShape.Forwarded);
    private static readonly ForwardAuthFeature DirectShape = new(ForwardAuthShape.Direct);

    // When the last untrusted-proxy warning was logged (TimeProvider ticks); MinValue: never.
    private long _lastUntrustedWarning = long.MinValue;

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!endpoint.IsDecisionPath(request.Path, out var rest))
        {
            // Kestrel resolves dot segments before anyone sees the path: /api/verify/../admin arrives as /admin. A
            // check that Envoy sends under the decision path must not turn into a proxied request.
            if (endpoint.RawTargetIsUnderDecisionPath(context.Features.Get<IHttpRequestFeature>()?.RawTarget))
            {
                return RefuseAsync(context, "the path has dot segments");
            }

            return next(context);
        }

        var trusted = endpoint.Proxies.Contains(context.Connection.RemoteIpAddress);
        if (OriginalRequestReader.Read(request, rest, trusted, out var problem, out var status) is not { } original)
        {
            if (status == StatusCodes.Status403Forbidden)
            {
                LogUntrusted(context);
            }

            return RefuseAsync(context, problem!, status);
        }

        if (original.Shape == ForwardAuthShape.Direct)
        {
            request.Path = rest.HasValue ? rest : new PathString("/");
        }
        else
        {
            var query = original.PathAndQuery.IndexOfAny(['?', '#']);
            var rawPath = query < 0 ? original.PathAndQuery : original.PathAndQuery[..query];
            if (rawPath.Contains("%00", StringComparison.Ordinal))
            {
                // PathString refuses to hold a NUL (it throws); Kestrel answers such a request line with 400.
                return RefuseAsync(context, "the path has an encoded NUL");
            }

            var path = PathString.FromUriComponent(rawPath);
            if (HasDotSegment(path.Value!))
            {
                // The upstream gets the URI as the client sent it and may resolve the dots: refused, not judged as
                // another path than the one the upstream serves.
                return RefuseAsync(context, "the path has dot segments");
            }

            request.Path = path;
            request.QueryString = query >= 0 && original.PathAndQuery[query] == '?'
                ? new QueryString(StripFragment(original.PathAndQuery[query..]))
                : QueryString.Empty;
            request.Method = original.Method;
            if (original.Scheme is { } scheme)
            {
                request.Scheme = scheme;
            }

            if (original.Host is { } host)
            {
                request.Host = new HostString(host);
            }
        }

        request.PathBase = PathString.Empty;
        context.Features.Set(original.Shape switch
        {
            ForwardAuthShape.Nginx => NginxShape,
            ForwardAuthShape.Forwarded => ForwardedShape,
            _ => DirectShape,
        });
        return next(context);
    }

    private Task RefuseAsync(HttpContext context, string problem, int status = StatusCodes.Status400BadRequest)
    {
        if (status == StatusCodes.Status400BadRequest)
        {
            Log.Unreadable(logger, problem);
        }

        var body = Encoding.UTF8.GetBytes($$"""{"message":"forward-auth: {{problem}}"}""");
        return context.Request.Headers.ContainsKey(ForwardAuthHeaders.OriginalUri) || context.Request.Headers.ContainsKey(ForwardAuthHeaders.OriginalUrl)
            ? NginxRefusal.WriteAsync(context.Response, status, body)
            : JsonResponses.WriteAsync(context.Response, status, body);
    }

    private static string StripFragment(string query)
    {
        var hash = query.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? query : query[..hash];
    }

    /// <summary>A <c>.</c> or <c>..</c> segment (after decoding, so <c>%2e%2e</c> counts).</summary>
    internal static bool HasDotSegment(string path)
    {
        var start = 0;
        while (start <= path.Length)
        {
            var end = path.IndexOf('/', start);
            if (end < 0)
            {
                end = path.Length;
            }

            var segment = path.AsSpan(start, end - start);
            if (segment is "." or "..")
            {
                return true;
            }

            start = end + 1;
        }

        return false;
    }

    /// <summary>At most one warning a minute: the cause is a configuration that every decision request then meets.</summary>
    private void LogUntrusted(HttpContext context)
    {
        var now = time.GetUtcNow().UtcTicks;
        var last = Interlocked.Read(ref _lastUntrustedWarning);
        if ((last == long.MinValue || now - last >= TimeSpan.TicksPerMinute) && Interlocked.CompareExchange(ref _lastUntrustedWarning, now, last) == last)
        {
            Log.Untrusted(logger, context.Connection.RemoteIpAddress?.ToString() ?? "(none)");
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2191, LogLevel.Warning, "Refused forward-auth decision requests with 403: {RemoteAddress} describes the original request (X-Original-*, X-Forwarded-Uri) but is not in Session:ForwardAuth:TrustedProxies; add the ingress's address there (logged at most once a minute)")]
        public static partial void Untrusted(ILogger logger, string remoteAddress);

        [LoggerMessage(2190, LogLevel.Information, "Refused a forward-auth decision request with 400: {Problem}")]
        public static partial void Unreadable(ILogger logger, string problem);
    }
}
