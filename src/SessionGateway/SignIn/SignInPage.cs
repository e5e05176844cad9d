using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace SessionGateway.SignIn;

/// <summary>
/// The built-in sign-in page: a plain HTML form that posts back to the sign-in path, with no script at all, so it
/// works without JavaScript and its Content-Security-Policy can forbid every script.
/// </summary>
internal static class SignInPage
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;margin:3rem auto;max-width:22rem}label{display:block;margin:.8rem 0}" +
        "input{display:block;width:100%;box-sizing:border-box;padding:.4rem}button{padding:.4rem 1.2rem}.error{color:#a00}";

    // The one inline style is allowed by its hash; nothing else may load, run, frame the page or receive the form.
    private static readonly string ContentSecurityPolicy =
        $"default-src 'none'; style-src 'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style)))}'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    public static Task WriteAsync(HttpContext context, string signInPath, bool error, string? redirect)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XFrameOptions = "DENY";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "same-origin";
        if (HttpMethods.IsHead(context.Request.Method))
        {
            return Task.CompletedTask;
        }

        var html = new StringBuilder()
            .Append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Sign in</title>")
            .Append("<style>").Append(Style).Append("</style></head>\n<body>\n<h1>Sign in</h1>\n");
        if (error)
        {
            html.Append("<p class=\"error\" id=\"error\" role=\"alert\">Wrong user name or password.</p>\n");
        }

        html.Append("<form method=\"post\" action=\"").Append(WebUtility.HtmlEncode(signInPath)).Append("\">\n")
            .Append("<label>User name <input name=\"username\" autocomplete=\"username\" required autofocus></label>\n")
            .Append("<label>Password <input name=\"password\" type=\"password\" autocomplete=\"current-password\" required></label>\n");
        if (redirect is not null)
        {
            html.Append("<input type=\"hidden\" name=\"redirect\" value=\"").Append(WebUtility.HtmlEncode(redirect)).Append("\">\n");
        }

        html.Append("<button type=\"submit\">Sign in</button>\n</form>\n</body></html>\n");
        return response.WriteAsync(html.ToString(), context.RequestAborted);
    }
}
