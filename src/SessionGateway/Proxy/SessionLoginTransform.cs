using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Telemetry;
using SessionGateway.Transport;
using Yarp.ReverseProxy.Transforms;

namespace SessionGateway.Proxy;

/// <summary>
/// Login without changing the app beyond one header: on a route marked <c>SessionLogin: "true"</c>, an upstream
/// response carrying <c>X-Session-Create: user-id</c> (and optionally <c>X-Session-Claims: {json}</c>) creates the
/// session and hands its tokens to the client. On every route both headers are removed from the response (by
/// <see cref="LoginHeaderHandler"/>, before YARP copies the upstream's headers), so only login routes can create
/// sessions and the client never sees them. Both are read as UTF-8; the user id must pass <see cref="UserIds"/>.
/// </summary>
internal sealed partial class SessionLoginTransform(
    bool createsSessions,
    SessionStarter starter,
    IOptionsMonitor<SessionSettings> settings,
    ILogger<SessionLoginTransform> logger) : ResponseTransform
{
    // The claims travel in every access token, and an access token in a cookie (at most 4 KB in browsers).
    internal const int MaxClaimsLength = 2048;

    private static readonly byte[] InvalidClaims = Encoding.UTF8.GetBytes("""{"message":"the upstream asked for a session with invalid claims"}""");
    private static readonly byte[] InvalidUserId = Encoding.UTF8.GetBytes("""{"message":"the upstream asked for a session with an invalid user id"}""");

    public override async ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var current = settings.CurrentValue;
        var response = context.HttpContext.Response;

        // LoginHeaderHandler took both headers off the upstream's response before its headers were copied; these
        // removals only matter if something re-added them on the way.
        response.Headers.Remove(current.Login.CreateHeader);
        response.Headers.Remove(current.Login.ClaimsHeader);
        if (!createsSessions || context.ProxyResponse?.RequestMessage is not { } sent ||
            !sent.Options.TryGetValue(UpstreamLoginHeaders.Key, out var login))
        {
            return;
        }

        if (response.StatusCode >= 400)
        {
            // An error page is no login, whatever headers it carries.
            Log.CreateOnErrorIgnored(logger, current.Login.CreateHeader, response.StatusCode);
            return;
        }

        if (login.UserIds.Length != 1)
        {
            Log.BadCreateHeader(logger, current.Login.CreateHeader, login.UserIds.Length);
            await ReplaceAsync(context, StatusCodes.Status502BadGateway, InvalidUserId);
            return;
        }

        // The id is read as UTF-8 (ASCII is UTF-8), so "zoë" from the upstream is the user "zoë".
        var problem = login.TryDecode(login.UserIds[0], out var userId) ? UserIds.Problem(userId) : "it is not UTF-8";
        if (problem is not null)
        {
            Log.UserIdRefused(logger, current.Login.CreateHeader, problem);
            await ReplaceAsync(context, StatusCodes.Status502BadGateway, InvalidUserId);
            return;
        }

        var claims = ReadClaims(login);
        if (claims is null)
        {
            Log.BadClaimsHeader(logger, current.Login.ClaimsHeader);
            await ReplaceAsync(context, StatusCodes.Status502BadGateway, InvalidClaims);
            return;
        }

        if (await starter.StartAsync(context.HttpContext, userId, claims, context.CancellationToken) is null)
        {
            response.Headers.RetryAfter = "1";
            await ReplaceAsync(context, StatusCodes.Status503ServiceUnavailable, JsonResponses.StoreUnavailable);
        }
    }

    /// <summary>
    /// The claims header read as UTF-8 (several lines are one comma-joined value, as HTTP defines it, and then
    /// hardly a JSON object); null when it is not UTF-8, too long or not a JSON object.
    /// </summary>
    private static Dictionary<string, JsonElement>? ReadClaims(UpstreamLoginHeaders login)
    {
        var parts = new string[login.Claims.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!login.TryDecode(login.Claims[i], out parts[i]))
            {
                return null;
            }
        }

        var text = parts.Length == 0 ? null : string.Join(',', parts);
        return text is { Length: > MaxClaimsLength } ? null : ParseClaims(text);
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

    internal static async Task ReplaceAsync(ResponseTransformContext context, int status, byte[] body)
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

        [LoggerMessage(3001, LogLevel.Warning, "The upstream sent {Count} {Header} values (or only claims); no session created")]
        public static partial void BadCreateHeader(ILogger logger, string header, int count);

        [LoggerMessage(2120, LogLevel.Warning, "The upstream's {Header} is not a user id the gateway accepts: {Reason}; no session created")]
        public static partial void UserIdRefused(ILogger logger, string header, string reason);

        [LoggerMessage(3002, LogLevel.Warning, "The upstream sent a {Header} header that is not a JSON object of at most 2048 characters; no session created")]
        public static partial void BadClaimsHeader(ILogger logger, string header);
    }
}
