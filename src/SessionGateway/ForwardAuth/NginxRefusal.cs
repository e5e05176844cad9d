using System.Globalization;
using System.Text;

namespace SessionGateway.ForwardAuth;

/// <summary>
/// A refusal as nginx's <c>auth_request</c> can pass it on: it accepts only 2xx, 401 and 403 (anything else becomes a
/// 500 there), so every refusal is a 401 carrying the real status in <c>X-Session-Status</c> and the real JSON body in
/// <c>X-Session-Body</c>; the shipped snippet's <c>error_page</c> location answers the client with those. The refusal's
/// other headers (<c>Retry-After</c>, <c>Allow</c>) stay.
/// </summary>
internal static class NginxRefusal
{
    /// <summary>True when <paramref name="response"/> answers an nginx-shaped decision request.</summary>
    public static bool Applies(HttpResponse response) =>
        response.HttpContext.Features.Get<ForwardAuthFeature>() is { Shape: ForwardAuthShape.Nginx };

    public static Task WriteAsync(HttpResponse response, int status, byte[] body)
    {
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers[ForwardAuthHeaders.Status] = status.ToString(CultureInfo.InvariantCulture);
        // The gateway's bodies are JSON written with escapes for everything but visible ASCII: a valid header value.
        var text = Encoding.UTF8.GetString(body);
        if (IsHeaderSafe(text))
        {
            response.Headers[ForwardAuthHeaders.Body] = text;
        }

        response.Headers.CacheControl = "no-store";
        response.ContentType = "application/json";
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
}
