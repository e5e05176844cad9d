using System.Text;
using Microsoft.Net.Http.Headers;
using SessionGateway.ForwardAuth;
using SessionGateway.Requests;

namespace SessionGateway.Transport;

/// <summary>The gateway's own JSON answers, encoded once.</summary>
internal static class JsonResponses
{
    public static readonly byte[] TryRefreshToken = Encoding.UTF8.GetBytes("""{"message":"try refresh token"}""");
    public static readonly byte[] Unauthorised = Encoding.UTF8.GetBytes("""{"message":"unauthorised"}""");
    public static readonly byte[] TokenTheftDetected = Encoding.UTF8.GetBytes("""{"message":"token theft detected"}""");
    public static readonly byte[] EmptyObject = Encoding.UTF8.GetBytes("{}");
    public static readonly byte[] StatusOk = Encoding.UTF8.GetBytes("""{"status":"OK"}""");
    public static readonly byte[] StoreUnavailable = Encoding.UTF8.GetBytes("""{"message":"session store unavailable, try again"}""");
    public static readonly byte[] MethodNotAllowed = Encoding.UTF8.GetBytes("""{"message":"method not allowed"}""");
    private static readonly byte[] Backslash = Encoding.UTF8.GetBytes("""{"message":"request path refused: backslash"}""");
    private static readonly byte[] EscapedSlash = Encoding.UTF8.GetBytes("""{"message":"request path refused: encoded slash"}""");
    private static readonly byte[] PathParameter = Encoding.UTF8.GetBytes("""{"message":"request path refused: path parameter"}""");

    /// <summary>The 400 body naming why a path was refused.</summary>
    public static byte[] PathRefused(PathRefusal refusal) => refusal switch
    {
        PathRefusal.Backslash => Backslash,
        PathRefusal.EscapedSlash => EscapedSlash,
        _ => PathParameter,
    };
    public static readonly byte[] TooManyRequests = Encoding.UTF8.GetBytes("""{"message":"too many requests, try again later"}""");

    /// <summary>
    /// Writes <paramref name="body"/> as an uncacheable JSON response; a refusal of an nginx-shaped forward-auth decision
    /// as <see cref="NginxRefusal"/> (only refusals look for it: nothing on the way of an answered request).
    /// </summary>
    public static Task WriteAsync(HttpResponse response, int status, byte[] body)
    {
        if (status >= 300 && NginxRefusal.Applies(response))
        {
            return NginxRefusal.WriteAsync(response, status, body);
        }

        response.StatusCode = status;
        response.Headers.CacheControl = "no-store";
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, 0, body.Length, response.HttpContext.RequestAborted);
    }

    /// <summary>405 for the gateway's POST-only endpoints, or with the methods in <paramref name="allow"/>.</summary>
    public static Task MethodNotAllowedAsync(HttpResponse response, string allow = "POST")
    {
        response.Headers.Allow = allow;
        return WriteAsync(response, StatusCodes.Status405MethodNotAllowed, MethodNotAllowed);
    }

    /// <summary>503 for a session store outage: retry soon, and nothing about the client's session changes.</summary>
    public static Task StoreUnavailableAsync(HttpResponse response)
    {
        response.Headers.RetryAfter = "1";
        return WriteAsync(response, StatusCodes.Status503ServiceUnavailable, StoreUnavailable);
    }
}
