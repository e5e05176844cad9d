using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Transport;
using Yarp.ReverseProxy.Transforms;

namespace SessionGateway.Proxy;

/// <summary>
/// Login without changing the app beyond one header: on a route marked <c>SessionLogin: "true"</c>, an upstream
/// response carrying <c>X-Session-Create: user-id</c> (and optionally <c>X-Session-Claims: {json}</c>) creates the
/// session and hands its tokens to the client. On every route both headers are removed from the response, so
/// only login routes can create sessions and the client never sees them.
/// </summary>
internal sealed partial class SessionLoginTransform(
    bool createsSessions,
    SessionEngine engine,
    SessionResponseWriter writer,
    IOptionsMonitor<SessionSettings> settings,
    ILogger<SessionLoginTransform> logger) : ResponseTransform
{
    // An access token travels in a cookie (browsers keep at most 4 KB per cookie) and in every request:
    // claims and user ids are kept small enough that the token always fits.
    internal const int MaxUserIdLength = 256;
    internal const int MaxClaimsLength = 2048;

    private static readonly byte[] InvalidClaims = Encoding.UTF8.GetBytes("""{"message":"the upstream asked for a session with invalid claims"}""");

    public override async ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var current = settings.CurrentValue;
        var response = context.HttpContext.Response;
        var userIds = response.Headers[current.Login.CreateHeader];
        var claimsHeader = response.Headers[current.Login.ClaimsHeader];
        if (userIds.Count == 0 && claimsHeader.Count == 0)
        {
            return;
        }

        response.Headers.Remove(current.Login.CreateHeader);
        response.Headers.Remove(current.Login.ClaimsHeader);
        if (!createsSessions)
        {
            return;
        }

        if (response.StatusCode >= 400)
        {
            // An error page is no login, whatever headers it carries.
            Log.CreateOnErrorIgnored(logger, current.Login.CreateHeader, response.StatusCode);
            return;
        }

        if (userIds.Count != 1 || string.IsNullOrWhiteSpace(userIds[0]) || userIds[0]!.Length > MaxUserIdLength)
        {
            Log.BadCreateHeader(logger, current.Login.CreateHeader);
            await ReplaceAsync(context, StatusCodes.Status502BadGateway, InvalidClaims);
            return;
        }

        var claimsText = claimsHeader.Count == 0 ? null : claimsHeader.ToString();
        var claims = claimsText is { Length: > MaxClaimsLength } ? null : ParseClaims(claimsText);
        if (claims is null)
        {
            Log.BadClaimsHeader(logger, current.Login.ClaimsHeader);
            await ReplaceAsync(context, StatusCodes.Status502BadGateway, InvalidClaims);
            return;
        }

        var created = await engine.CreateAsync(userIds[0]!, claims, current.ResolveAntiCsrf() == AntiCsrfMode.Token, context.CancellationToken);
        if (created.Value is not { } session)
        {
            response.Headers.RetryAfter = "1";
            await ReplaceAsync(context, StatusCodes.Status503ServiceUnavailable, JsonResponses.StoreUnavailable);
            return;
        }

        var transfer = RequestTokens.RequestedTransfer(context.HttpContext.Request.Headers) ?? TokenTransfer.Cookie;
        writer.WriteSession(context.HttpContext, session, transfer);
    }

    /// <summary>The claims object, an empty one when there is no header, null when the header is not a JSON object.</summary>
    private static Dictionary<string, JsonElement>? ParseClaims(string? json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return [];
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            var claims = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                claims[property.Name] = property.Value.Clone();
            }

            return claims;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task ReplaceAsync(ResponseTransformContext context, int status, byte[] body)
    {
        // The upstream's answer is not what the client gets; its body is dropped with its headers. The CORS
        // middleware's headers stay, or a browser on another origin could not read this answer at all.
        context.SuppressResponseBody = true;
        var response = context.HttpContext.Response;
        foreach (var name in response.Headers.Keys.ToArray())
        {
            if (!name.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase) && !name.Equals("Retry-After", StringComparison.OrdinalIgnoreCase))
            {
                response.Headers.Remove(name);
            }
        }

        await JsonResponses.WriteAsync(response, status, body);
    }

    private static partial class Log
    {
        [LoggerMessage(3003, LogLevel.Warning, "The upstream sent {Header} with status {Status}; an error response creates no session")]
        public static partial void CreateOnErrorIgnored(ILogger logger, string header, int status);

        [LoggerMessage(3001, LogLevel.Warning, "The upstream sent an empty, repeated or over-long {Header} header; no session created")]
        public static partial void BadCreateHeader(ILogger logger, string header);

        [LoggerMessage(3002, LogLevel.Warning, "The upstream sent a {Header} header that is not a JSON object of at most 2048 characters; no session created")]
        public static partial void BadClaimsHeader(ILogger logger, string header);
    }
}
