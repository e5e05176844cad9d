using Microsoft.Extensions.Primitives;

namespace SessionGateway.ForwardAuth;

/// <summary>
/// Reads the request a proxy asks about from a decision request (docs/forward-auth.md, "The original request"). The
/// proxies' headers count only from a trusted proxy; otherwise, and when there are none, the decision request itself is
/// the original request, under the decision path (Envoy's HTTP <c>ext_authz</c> with <c>path_prefix</c>).
/// </summary>
internal static class OriginalRequestReader
{
    /// <summary>
    /// The original request, or null with <paramref name="problem"/> saying what is wrong with the proxy's headers and
    /// <paramref name="status"/> the refusal's status.
    /// </summary>
    public static OriginalRequest? Read(HttpRequest request, PathString rest, bool trusted, out string? problem, out int status)
    {
        problem = null;
        status = StatusCodes.Status400BadRequest;
        var headers = request.Headers;
        var descriptions = (headers.ContainsKey(ForwardAuthHeaders.OriginalUrl) ? 1 : 0) +
            (headers.ContainsKey(ForwardAuthHeaders.OriginalUri) ? 1 : 0) +
            (headers.ContainsKey(ForwardAuthHeaders.ForwardedUri) ? 1 : 0);
        if (!trusted && descriptions > 0)
        {
            // Never believed from here; and judged as itself (a decision about "/"), a request from a proxy missing
            // from TrustedProxies would be allowed wherever "/" is public. Refused, so the mistake shows.
            problem = "the original request is described by an address that is not in Session:ForwardAuth:TrustedProxies";
            status = StatusCodes.Status403Forbidden;
            return null;
        }

        if (descriptions > 1)
        {
            // One of them came from the client (a proxy sets its own and passes the client's others on): none is
            // believed.
            problem = "the original request is described more than once (X-Original-URL, X-Original-URI, X-Forwarded-Uri)";
            return null;
        }

        if (trusted)
        {
            if (headers.TryGetValue(ForwardAuthHeaders.OriginalUrl, out var originalUrl))
            {
                if (Single(originalUrl) is not { } url || !TrySplitUrl(url, out var urlScheme, out var urlHost, out var target))
                {
                    problem = "X-Original-URL is not one absolute http(s) URL";
                    return null;
                }

                return Build(ForwardAuthShape.Nginx, headers[ForwardAuthHeaders.OriginalMethod], urlScheme, urlHost, target, ref problem);
            }

            if (headers.TryGetValue(ForwardAuthHeaders.OriginalUri, out var originalUri))
            {
                return Build(ForwardAuthShape.Nginx, headers[ForwardAuthHeaders.OriginalMethod], headers[ForwardAuthHeaders.ForwardedProto], headers[ForwardAuthHeaders.ForwardedHost], originalUri, ref problem);
            }

            if (headers.TryGetValue(ForwardAuthHeaders.ForwardedUri, out var forwardedUri))
            {
                return Build(ForwardAuthShape.Forwarded, headers[ForwardAuthHeaders.ForwardedMethod], headers[ForwardAuthHeaders.ForwardedProto], headers[ForwardAuthHeaders.ForwardedHost], forwardedUri, ref problem);
            }
        }

        var path = rest.HasValue ? rest : new PathString("/");
        return new OriginalRequest(ForwardAuthShape.Direct, request.Method, null, null, path.ToUriComponent() + request.QueryString.Value);
    }

    private static OriginalRequest? Build(ForwardAuthShape shape, StringValues method, StringValues scheme, StringValues host, StringValues target, ref string? problem)
    {
        var methodValue = method.Count == 0 ? HttpMethods.Get : Single(method);
        if (methodValue is null || !IsToken(methodValue))
        {
            problem = "the original method is not one HTTP method";
            return null;
        }

        string? schemeValue = null;
        if (scheme.Count > 0)
        {
            // A list (proxies in a chain) names the client's scheme first; WebSocket schemes are their HTTP ones.
            schemeValue = FirstOfList(scheme)?.ToLowerInvariant() switch
            {
                "http" or "ws" => "http",
                "https" or "wss" => "https",
                _ => null,
            };
            if (schemeValue is null)
            {
                problem = "X-Forwarded-Proto is not http or https";
                return null;
            }
        }

        string? hostValue = null;
        if (host.Count > 0)
        {
            hostValue = FirstOfList(host);
            if (hostValue is null || !IsHost(hostValue))
            {
                problem = "the original host is not a host name";
                return null;
            }
        }

        if (Single(target) is not { } targetValue || !IsOriginForm(targetValue))
        {
            problem = "the original URI is not one path starting with /";
            return null;
        }

        return new OriginalRequest(shape, methodValue, schemeValue, hostValue, targetValue);
    }

    /// <summary>Splits <c>scheme://authority/path?query</c> as sent by ingress-nginx, without normalising the path.</summary>
    private static bool TrySplitUrl(string url, out string? scheme, out string? host, out string? target)
    {
        scheme = host = target = null;
        var separator = url.IndexOf("://", StringComparison.Ordinal);
        if (separator < 0)
        {
            return false;
        }

        scheme = url[..separator].ToLowerInvariant();
        if (scheme is not ("http" or "https"))
        {
            return false;
        }

        var rest = url.AsSpan(separator + 3);
        var end = rest.IndexOfAny('/', '?');
        host = (end < 0 ? rest : rest[..end]).ToString();
        target = end < 0 ? "/" : rest[end] == '?' ? "/" + rest[end..].ToString() : rest[end..].ToString();
        return IsHost(host);
    }

    private static string? Single(StringValues values) => values.Count == 1 ? values[0] : null;

    private static string? FirstOfList(StringValues values)
    {
        var first = values[0];
        if (first is null)
        {
            return null;
        }

        var comma = first.IndexOf(',', StringComparison.Ordinal);
        var value = (comma < 0 ? first : first[..comma]).Trim();
        return value.Length == 0 ? null : value;
    }

    private static bool IsToken(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && !"!#$%&'*+-.^_`|~".Contains(c))
            {
                return false;
            }
        }

        return true;
    }

    // host or host:port, an IPv6 literal in brackets: no user info, path, spaces or controls.
    private static bool IsHost(string value)
    {
        if (value.Length == 0)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or ':' or '[' or ']' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    // What an HTTP/1.1 request line carries as a path: visible ASCII starting with '/'.
    private static bool IsOriginForm(string value)
    {
        if (value.Length == 0 || value[0] != '/')
        {
            return false;
        }

        foreach (var c in value)
        {
            if (c is <= ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }
}
