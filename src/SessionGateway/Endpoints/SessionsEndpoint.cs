using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using SessionGateway.Authentication;
using SessionGateway.Sessions;
using SessionGateway.Storage;
using SessionGateway.Telemetry;
using SessionGateway.Transport;

namespace SessionGateway.Endpoints;

/// <summary>
/// "Your devices", answered by the gateway on the traffic listener and never forwarded: <c>GET {Session:SessionsPath}</c>
/// lists the caller's own live sessions (the current one marked, the client seen at login and at the last refresh,
/// nothing secret) and <c>DELETE {Session:SessionsPath}/{handle}</c> ends one of them. The caller is whoever the
/// request's access token says, authenticated as for a protected route (anti-CSRF included, so a cross-site form
/// cannot end a session); another user's handle is answered exactly as an unknown one, so handles cannot be probed.
/// </summary>
internal sealed class SessionsEndpoint(SessionEngine engine, SessionResponseWriter writer, SessionMetrics metrics)
{
    /// <summary>The route value holding the handle in <c>{SessionsPath}/{**handle}</c>.</summary>
    public const string HandleRouteValue = "handle";

    private static readonly byte[] UnknownSession = Encoding.UTF8.GetBytes("""{"message":"unknown session"}""");

    /// <summary><c>{SessionsPath}</c>: <c>GET</c> lists the caller's sessions (<c>HEAD</c>: the same answer, without its body, which Kestrel drops).</summary>
    public async Task ListAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            await JsonResponses.MethodNotAllowedAsync(context.Response, "GET, HEAD");
            return;
        }

        if (await AuthenticateAsync(context) is not { } caller)
        {
            return;
        }

        var listed = await engine.ListSessionsAsync(caller.UserId, context.RequestAborted);
        if (listed.IsUnavailable)
        {
            await JsonResponses.StoreUnavailableAsync(context.Response);
            return;
        }

        await JsonResponses.WriteAsync(context.Response, StatusCodes.Status200OK, Serialize(listed.Value!, caller.SessionHandle));
    }

    /// <summary><c>{SessionsPath}/{handle}</c>: <c>DELETE</c> ends one of the caller's own sessions.</summary>
    public async Task EndAsync(HttpContext context)
    {
        if (!HttpMethods.IsDelete(context.Request.Method))
        {
            await JsonResponses.MethodNotAllowedAsync(context.Response, "DELETE");
            return;
        }

        if (await AuthenticateAsync(context) is not { } caller)
        {
            return;
        }

        var handle = context.Request.RouteValues[HandleRouteValue] as string ?? "";
        var client = RequestClient.Of(context);
        if (string.Equals(handle, caller.SessionHandle, StringComparison.Ordinal))
        {
            // Ending the session this request came from is a sign-out: audited as one, and the client's tokens cleared.
            var signedOut = await engine.RevokeAsync(handle, SessionEngine.SignedOutAuditKind, client, context.RequestAborted);
            if (signedOut.IsUnavailable)
            {
                await JsonResponses.StoreUnavailableAsync(context.Response);
                return;
            }

            if (signedOut.Value)
            {
                metrics.SignedOut();
            }

            writer.ClearSession(context, TransferOf(context));
            NoContent(context.Response);
            return;
        }

        var revoked = handle.Length == 0
            ? StoreResult<bool>.Success(false)
            : await engine.RevokeOwnedAsync(caller.UserId, handle, client, context.RequestAborted);
        if (revoked.IsUnavailable)
        {
            await JsonResponses.StoreUnavailableAsync(context.Response);
            return;
        }

        if (!revoked.Value)
        {
            // Unknown and someone else's read the same, so a user cannot learn whether another user's handle exists.
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status404NotFound, UnknownSession);
            return;
        }

        NoContent(context.Response);
    }

    /// <summary>
    /// The caller's verified token, or null after answering as a protected route would: 401 without a token, the
    /// session-expired status ("try refresh token") with an expired, revoked or anti-CSRF-failing one.
    /// </summary>
    private static async Task<Tokens.VerifiedAccessToken?> AuthenticateAsync(HttpContext context)
    {
        var result = await context.AuthenticateAsync(SessionAuthenticationDefaults.AuthenticationScheme);
        if (result.Succeeded && context.Features.Get<SessionFeature>()?.Token is { } token)
        {
            return token;
        }

        await context.ChallengeAsync(SessionAuthenticationDefaults.AuthenticationScheme);
        return null;
    }

    private static TokenTransfer TransferOf(HttpContext context) =>
        context.Features.Get<SessionFeature>()?.BearerIsOurs == true || RequestTokens.RequestedTransfer(context.Request.Headers) == TokenTransfer.Header
            ? TokenTransfer.Header
            : TokenTransfer.Cookie;

    private static void NoContent(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status204NoContent;
        response.Headers.CacheControl = "no-store";
    }

    /// <summary>The sessions as shown to their user: no claims, no hashes, no anti-CSRF token.</summary>
    internal static byte[] Serialize(IReadOnlyList<SessionInfo> sessions, string currentHandle)
    {
        var buffer = new ArrayBufferWriter<byte>(256 * (sessions.Count + 1));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var session in sessions)
            {
                json.WriteStartObject();
                json.WriteString("handle", session.SessionHandle);
                json.WriteBoolean("current", string.Equals(session.SessionHandle, currentHandle, StringComparison.Ordinal));
                json.WriteString("createdAt", session.CreatedAt);
                if (session.LastRefreshedAt is { } refreshed)
                {
                    json.WriteString("lastRefreshAt", refreshed);
                }
                else
                {
                    json.WriteNull("lastRefreshAt");
                }

                json.WriteString("expiresAt", session.ExpiresAt);
                WriteClient(json, "createdBy", session.CreatedBy);
                WriteClient(json, "lastRefreshBy", session.RefreshedBy);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteClient(Utf8JsonWriter json, string name, ClientInfo? client)
    {
        if (client is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteString("address", client.Address);
        json.WriteString("userAgent", client.UserAgent);
        json.WriteEndObject();
    }
}
