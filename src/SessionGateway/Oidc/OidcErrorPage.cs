using System.Text.Encodings.Web;

namespace SessionGateway.Oidc;

/// <summary>
/// The plain page a failed login ends on: what went wrong, in words, and a link to try again. No stack trace, no
/// provider message beyond its error code; no script.
/// </summary>
internal static class OidcErrorPage
{
    public static Task WriteAsync(HttpContext context, int status, string reason, string? retryPath)
    {
        var response = context.Response;
        if (response.HasStarted)
        {
            return Task.CompletedTask;
        }

        response.Clear();
        response.StatusCode = status;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers.ContentSecurityPolicy = "default-src 'none'";
        var html = HtmlEncoder.Default;
        var retry = retryPath is null ? "" : $"<p><a href=\"{html.Encode(retryPath)}\">Try again</a></p>\n";
        return response.WriteAsync(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in failed</title></head>\n" +
            $"<body><h1>Sign-in failed</h1>\n<p>{html.Encode(reason)}</p>\n{retry}</body></html>\n",
            context.RequestAborted);
    }
}
