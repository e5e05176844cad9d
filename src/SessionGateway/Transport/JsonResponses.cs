using System.Text;
using Microsoft.Net.Http.Headers;

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

    /// <summary>Writes <paramref name="body"/> as an uncacheable JSON response.</summary>
    public static Task WriteAsync(HttpResponse response, int status, byte[] body)
    {
        response.StatusCode = status;
        response.Headers.CacheControl = "no-store";
        response.ContentType = "application/json";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, 0, body.Length, response.HttpContext.RequestAborted);
    }
}
