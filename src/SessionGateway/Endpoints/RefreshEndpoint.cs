using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Telemetry;
using SessionGateway.Transport;

namespace SessionGateway.Endpoints;

/// <summary>
/// <c>POST {Session:RefreshPath}</c>: rotates the refresh token and issues a new access token. Never forwarded.
/// A store outage answers 503 and leaves the client's tokens alone: an outage must not log anybody out.
/// </summary>
internal sealed partial class RefreshEndpoint(
    SessionEngine engine,
    SessionResponseWriter writer,
    IOptionsMonitor<SessionSettings> settings,
    SessionMetrics metrics,
    ILogger<RefreshEndpoint> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await JsonResponses.MethodNotAllowedAsync(context.Response);
            return;
        }

        var current = settings.CurrentValue;
        var headers = context.Request.Headers;
        // The client's declared mode picks the token: a header-mode client may still carry a stale cookie from
        // an earlier cookie-mode session, and presenting that one would look like theft.
        var requested = RequestTokens.RequestedTransfer(headers);
        var bearer = RequestTokens.Bearer(headers);
        var (cookie, cookieCount) = requested == TokenTransfer.Header && bearer is not null
            ? (null, 0)
            : RequestTokens.Cookie(headers, ProtocolNames.RefreshTokenCookie);
        var shadowed = cookieCount > 1 || RequestTokens.Cookie(headers, ProtocolNames.AccessTokenCookie).Count > 1;
        if (cookieCount > 1)
        {
            // Two refresh-token cookies (an old domain's and the current one): presenting the wrong one would
            // look like theft and revoke the session. Neither is used; the client logs in again, cleanly.
            Log.SeveralRefreshCookies(logger);
            metrics.Refreshed(RefreshOutcomeKind.Unauthorised, withinGrace: false);
            writer.ClearSession(context, TokenTransfer.Cookie);
            writer.ClearShadowCookies(context);
            await JsonResponses.WriteAsync(context.Response, current.ExpiredStatusCode, JsonResponses.Unauthorised);
            return;
        }
        if (cookie is not null)
        {
            bearer = null;
        }

        var transfer = requested ?? (bearer is not null ? TokenTransfer.Header : TokenTransfer.Cookie);

        if (cookie is not null && current.ResolveAntiCsrf() == AntiCsrfMode.CustomHeader && !headers.ContainsKey(ProtocolNames.RidHeader))
        {
            // A cross-site form could make the browser send the cookie; it cannot add the header. Keep the
            // tokens: clearing them here would let any site log the user out.
            Log.RefreshWithoutRid(logger);
            metrics.Refreshed(RefreshOutcomeKind.Unauthorised, withinGrace: false);
            await JsonResponses.WriteAsync(context.Response, current.ExpiredStatusCode, JsonResponses.Unauthorised);
            return;
        }

        using var activity = GatewaySpans.Source.StartActivity(GatewaySpans.Refresh);
        var outcome = await engine.RefreshAsync(cookie ?? bearer, RequestClient.Of(context), context.RequestAborted);
        metrics.Refreshed(outcome.Kind, outcome.WithinGrace);
        activity?.SetTag(GatewaySpans.OutcomeAttribute, SessionMetrics.RefreshOutcome(outcome.Kind, outcome.WithinGrace).Value);
        switch (outcome.Kind)
        {
            case RefreshOutcomeKind.Success:
                writer.WriteSession(context, outcome.Session!, transfer);
                if (shadowed)
                {
                    writer.ClearShadowCookies(context);
                }

                await JsonResponses.WriteAsync(context.Response, StatusCodes.Status200OK, JsonResponses.EmptyObject);
                break;
            case RefreshOutcomeKind.Theft:
                var theft = outcome.Theft!;
                // The engine logged it (once, with the client's address); here it is counted and answered.
                metrics.TheftDetected(theft.Kind);
                writer.ClearSession(context, transfer);
                await JsonResponses.WriteAsync(context.Response, current.ExpiredStatusCode, JsonResponses.TokenTheftDetected);
                break;
            case RefreshOutcomeKind.StoreUnavailable:
                await JsonResponses.StoreUnavailableAsync(context.Response);
                break;
            default:
                writer.ClearSession(context, transfer);
                await JsonResponses.WriteAsync(context.Response, current.ExpiredStatusCode, JsonResponses.Unauthorised);
                break;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2003, LogLevel.Warning, "Refresh with several sRefreshToken cookies refused without using either; check Session:Cookies:Domain changes or cookies set by sibling domains")]
        public static partial void SeveralRefreshCookies(ILogger logger);

        [LoggerMessage(2002, LogLevel.Information, "Refresh with a cookie but without the 'rid' header refused (anti-CSRF)")]
        public static partial void RefreshWithoutRid(ILogger logger);
    }
}
