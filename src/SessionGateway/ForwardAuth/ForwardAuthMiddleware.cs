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
internal sealed partial class ForwardAuthMiddleware(RequestDelegate next, ForwardAuthEndpoint endpoint, ILogger<ForwardAuthMiddleware> logger)
{
    // nginx passes an auth subrequest's headers through proxy buffers of a page or two: a body bigger than this is
    // not a gateway refusal (they are tens of bytes; a 403 with claim errors a few hundred).
    private const int MaxRefusalBody = 4096;

    private static readonly ForwardAuthFeature NginxShape = new(ForwardAuthShape.Nginx);
    private static readonly ForwardAuthFeature ForwardedShape = new(ForwardAuthShape.Forwarded);
    private static readonly ForwardAuthFeature DirectShape = new(ForwardAuthShape.Direct);

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
        if (OriginalRequestReader.Read(request, rest, trusted, out var problem) is not { } original)
        {
            return RefuseAsync(context, problem!);
        }

        if (original.Shape == ForwardAuthShape.Direct)
        {
            request.Path = rest.HasValue ? rest : new PathString("/");
        }
        else
        {
            var query = original.PathAndQuery.IndexOfAny(['?', '#']);
            var rawPath = query < 0 ? original.PathAndQuery : original.PathAndQuery[..query];
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
        return original.Shape == ForwardAuthShape.Nginx ? AnswerForNginxAsync(context) : next(context);
    }

    private Task RefuseAsync(HttpContext context, string problem)
    {
        Log.Unreadable(logger, problem);
        var body = Encoding.UTF8.GetBytes($$"""{"message":"forward-auth: {{problem}}"}""");
        return context.Request.Headers.ContainsKey(ForwardAuthHeaders.OriginalUri) || context.Request.Headers.ContainsKey(ForwardAuthHeaders.OriginalUrl)
            ? WriteNginxRefusalAsync(context.Response, StatusCodes.Status400BadRequest, body)
            : JsonResponses.WriteAsync(context.Response, StatusCodes.Status400BadRequest, body);
    }

    /// <summary>Runs the decision with the body held back, then answers a refusal the way nginx can pass on.</summary>
    private async Task AnswerForNginxAsync(HttpContext context)
    {
        var response = context.Response;
        var bodyFeature = context.Features.Get<IHttpResponseBodyFeature>()!;
        using var held = new MemoryStream();
        context.Features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(held));
        try
        {
            await next(context);
        }
        finally
        {
            context.Features.Set(bodyFeature);
        }

        if (response.StatusCode is >= 200 and < 300)
        {
            held.Position = 0;
            await held.CopyToAsync(response.Body, context.RequestAborted);
            return;
        }

        var body = held.Length <= MaxRefusalBody ? held.ToArray() : [];
        await WriteNginxRefusalAsync(response, response.StatusCode, body);
    }

    /// <summary>401 with the real status and body in headers; the refusal's other headers (Retry-After, Allow) stay.</summary>
    private static Task WriteNginxRefusalAsync(HttpResponse response, int status, byte[] body)
    {
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers[ForwardAuthHeaders.Status] = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The gateway's bodies are JSON written with escapes for everything but visible ASCII: a valid header value.
        var text = Encoding.UTF8.GetString(body);
        if (IsHeaderSafe(text))
        {
            response.Headers[ForwardAuthHeaders.Body] = text;
        }

        response.Headers.CacheControl = "no-store";
        response.ContentLength = 0;
        return Task.CompletedTask;
    }

    private static bool IsHeaderSafe(string text)
    {
        foreach (var c in text)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
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

    private static partial class Log
    {
        [LoggerMessage(2190, LogLevel.Information, "Refused a forward-auth decision request with 400: {Problem}")]
        public static partial void Unreadable(ILogger logger, string problem);
    }
}
