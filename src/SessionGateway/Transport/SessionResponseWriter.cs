using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Sessions;

namespace SessionGateway.Transport;

/// <summary>
/// Puts tokens on a response and takes them off again, in cookie or header mode, with the <c>front-token</c>
/// header the frontend SDKs read. The one place that knows cookie attributes.
/// </summary>
internal sealed class SessionResponseWriter(IOptionsMonitor<SessionSettings> settings, IOptions<SessionSettings> startup)
{
    private static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    /// <summary>Sends a newly issued or refreshed session to the client.</summary>
    public void WriteSession(HttpContext context, IssuedSession session, TokenTransfer transfer)
    {
        var response = context.Response;
        var current = settings.CurrentValue;
        if (transfer == TokenTransfer.Cookie)
        {
            // The access-token cookie lives as long as the refresh token, so an expired JWT is still sent and
            // answered "try refresh token" instead of looking like no session at all.
            response.Cookies.Append(ProtocolNames.AccessTokenCookie, session.AccessToken, CookieOptions(context, current, "/", session.RefreshTokenExpires));
            response.Cookies.Append(ProtocolNames.RefreshTokenCookie, session.RefreshToken, CookieOptions(context, current, RefreshPath, session.RefreshTokenExpires));
        }
        else
        {
            response.Headers[ProtocolNames.AccessTokenHeader] = session.AccessToken;
            response.Headers[ProtocolNames.RefreshTokenHeader] = session.RefreshToken;
            if (RequestTokens.HasTokenCookie(context.Request.Headers))
            {
                // Switching to header mode: old cookies would shadow the new tokens.
                ClearCookies(context, current);
            }
        }

        response.Headers[ProtocolNames.FrontTokenHeader] = FrontToken(session);

        // Tokens must never land in a shared cache, whatever the upstream said about its login page.
        response.Headers.CacheControl = "no-store";
        if (session.AntiCsrfToken is { } antiCsrf)
        {
            response.Headers[ProtocolNames.AntiCsrfHeader] = antiCsrf;
        }

        Expose(response);
    }

    /// <summary>Tells the client its session is gone: expired cookies, empty header tokens, <c>front-token: remove</c>.</summary>
    public void ClearSession(HttpContext context, TokenTransfer transfer)
    {
        var response = context.Response;
        ClearCookies(context, settings.CurrentValue);
        if (transfer == TokenTransfer.Header)
        {
            response.Headers[ProtocolNames.AccessTokenHeader] = "";
            response.Headers[ProtocolNames.RefreshTokenHeader] = "";
        }

        response.Headers[ProtocolNames.FrontTokenHeader] = "remove";
        Expose(response);
    }

    /// <summary>
    /// Standard base64 of <c>{"uid":…,"ate":…,"up":…}</c>: the user id, the access token's expiry in ms and its
    /// whole payload, so the SDK knows about the session without reading the HttpOnly cookie.
    /// </summary>
    public static string FrontToken(IssuedSession session)
    {
        var json = t_frontTokenJson ??= new FrontTokenJson();
        var writer = json.Start();
        writer.WriteStartObject();
        writer.WriteString("uid", session.UserId);
        writer.WriteNumber("ate", session.AccessTokenExpires.ToUnixTimeMilliseconds());
        writer.WritePropertyName("up");
        // The payload is JSON the engine wrote (and signed); it goes in as it is.
        json.WriteRaw(session.AccessTokenPayloadJson);
        writer.WriteEndObject();
        writer.Flush();
        return Convert.ToBase64String(json.Written);
    }

    /// <summary>
    /// Also clears the host-only variants when a cookie domain is configured: a browser holding both (after
    /// <c>Session:Cookies:Domain</c> changed) sends two cookies of a name, which no refresh could resolve.
    /// </summary>
    public void ClearShadowCookies(HttpContext context)
    {
        var current = settings.CurrentValue;
        if (!string.IsNullOrEmpty(current.Cookies.Domain))
        {
            var hostOnly = current with { Cookies = current.Cookies with { Domain = null } };
            ClearCookies(context, hostOnly);
        }
    }

    private void ClearCookies(HttpContext context, SessionSettings current)
    {
        context.Response.Cookies.Append(ProtocolNames.AccessTokenCookie, "", CookieOptions(context, current, "/", Epoch));
        context.Response.Cookies.Append(ProtocolNames.RefreshTokenCookie, "", CookieOptions(context, current, RefreshPath, Epoch));
    }

    // The refresh endpoint is mapped once, at start; the cookie path must stay the path it is mapped at.
    private string RefreshPath => startup.Value.RefreshPath;

    private static void Expose(HttpResponse response) =>
        response.Headers[Microsoft.Net.Http.Headers.HeaderNames.AccessControlExposeHeaders] = ProtocolNames.ExposedHeaders;

    private static CookieOptions CookieOptions(HttpContext context, SessionSettings current, string path, DateTimeOffset expires) => new()
    {
        HttpOnly = true,
        Path = path,
        Expires = expires,
        Domain = string.IsNullOrEmpty(current.Cookies.Domain) ? null : current.Cookies.Domain,
        Secure = current.Cookies.Secure switch
        {
            CookieSecure.Always => true,
            CookieSecure.Never => false,
            _ => context.Request.IsHttps,
        },
        SameSite = current.Cookies.SameSite switch
        {
            CookieSameSite.Strict => SameSiteMode.Strict,
            CookieSameSite.None => SameSiteMode.None,
            _ => SameSiteMode.Lax,
        },
    };

    // Per thread: FrontToken never awaits, so nothing else runs on this thread while it is in use.
    [ThreadStatic]
    private static FrontTokenJson? t_frontTokenJson;

    /// <summary>A JSON writer and its buffer for the front token, reset for each one; lives as long as its thread.</summary>
    private sealed class FrontTokenJson : IDisposable
    {
        // The user id goes into JSON as-is (no HTML escaping of '+', '<'...): the SDK parses it, nobody renders it.
        private static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        private readonly ArrayBufferWriter<byte> _buffer = new(1024);
        private readonly Utf8JsonWriter _writer;

        public FrontTokenJson() => _writer = new Utf8JsonWriter(_buffer, Options);

        public ReadOnlySpan<byte> Written => _buffer.WrittenSpan;

        public Utf8JsonWriter Start()
        {
            _buffer.ResetWrittenCount();
            _writer.Reset(_buffer);
            return _writer;
        }

        public void WriteRaw(string json)
        {
            var maxBytes = Encoding.UTF8.GetMaxByteCount(json.Length);
            byte[]? rented = null;
            var utf8 = maxBytes <= 2048 ? stackalloc byte[maxBytes] : (rented = ArrayPool<byte>.Shared.Rent(maxBytes));
            _writer.WriteRawValue(utf8[..Encoding.UTF8.GetBytes(json, utf8)], skipInputValidation: true);
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        public void Dispose() => _writer.Dispose();
    }
}
