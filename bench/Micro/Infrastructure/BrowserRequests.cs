using Microsoft.Net.Http.Headers;

namespace SessionGateway.Micro.Infrastructure;

/// <summary>Realistic requests: what a browser sends to an application behind the gateway.</summary>
internal static class BrowserRequests
{
    /// <summary>Cookies a typical application page carries besides ours (analytics, preferences, its own CSRF cookie).</summary>
    public const string OtherCookies =
        "_ga=GA1.1.1234567890.1700000000; _gid=GA1.1.987654321.1700000000; theme=dark; lang=en-GB; csrftoken=Qm9ndXNDc3JmVG9rZW5WYWx1ZTEyMzQ1";

    /// <summary>The <c>Cookie</c> header of a signed-in browser: the access-token cookie among five others.</summary>
    public static string CookieHeader(string accessToken) =>
        "_ga=GA1.1.1234567890.1700000000; _gid=GA1.1.987654321.1700000000; theme=dark; sAccessToken=" + accessToken +
        "; lang=en-GB; csrftoken=Qm9ndXNDc3JmVG9rZW5WYWx1ZTEyMzQ1";

    /// <summary>
    /// A browser GET with the usual dozen headers and <paramref name="cookie"/> (none when null); with
    /// <paramref name="spoofed"/>, three identity headers in spellings a client might try.
    /// </summary>
    public static DefaultHttpContext Get(string? cookie, bool spoofed = false, string? authorization = null)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = HttpMethods.Get;
        request.Scheme = "https";
        request.Host = new HostString("app.example.com");
        request.Path = "/api/orders/1234";
        request.QueryString = new QueryString("?page=2&sort=desc");
        var headers = request.Headers;
        headers[HeaderNames.UserAgent] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        headers[HeaderNames.Accept] = "application/json, text/plain, */*";
        headers[HeaderNames.AcceptLanguage] = "en-GB,en;q=0.9";
        headers[HeaderNames.AcceptEncoding] = "gzip, deflate, br, zstd";
        headers[HeaderNames.Referer] = "https://app.example.com/orders";
        headers["sec-ch-ua-platform"] = "\"Linux\"";
        headers["sec-fetch-mode"] = "cors";
        headers["X-Request-Id"] = "6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f";
        headers["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        headers["rid"] = "session";
        if (cookie is not null)
        {
            headers[HeaderNames.Cookie] = cookie;
        }

        if (authorization is not null)
        {
            headers[HeaderNames.Authorization] = authorization;
        }

        if (spoofed)
        {
            headers["X_User_Id"] = "admin";
            headers["x-session-handle"] = "stolen-handle";
            headers["X-USER-ROLE"] = "superuser";
        }

        return context;
    }
}
