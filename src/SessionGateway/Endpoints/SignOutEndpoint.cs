using Microsoft.AspNetCore.Authentication;
using SessionGateway.Authentication;
using SessionGateway.Sessions;
using SessionGateway.Telemetry;
using SessionGateway.Transport;

namespace SessionGateway.Endpoints;

/// <summary>
/// <c>POST {Session:SignOutPath}</c>: revokes the request's session and clears its tokens. An expired access
/// token gets "try refresh token" (the SDK refreshes and signs out again); no session at all is already signed out.
/// </summary>
internal sealed class SignOutEndpoint(SessionEngine engine, SessionResponseWriter writer, SessionMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            await JsonResponses.MethodNotAllowedAsync(context.Response);
            return;
        }

        using var activity = GatewaySpans.Source.StartActivity(GatewaySpans.SignOut);
        var result = await context.AuthenticateAsync(SessionAuthenticationDefaults.AuthenticationScheme);
        if (result.Failure is not null)
        {
            await context.ChallengeAsync(SessionAuthenticationDefaults.AuthenticationScheme);
            return;
        }

        var feature = context.Features.Get<SessionFeature>();
        var transfer = feature?.BearerIsOurs == true || RequestTokens.RequestedTransfer(context.Request.Headers) == TokenTransfer.Header
            ? TokenTransfer.Header
            : TokenTransfer.Cookie;
        if (feature?.Token is { } token)
        {
            var revoked = await engine.RevokeAsync(token.SessionHandle, SessionEngine.SignedOutAuditKind, RequestClient.Of(context), context.RequestAborted);
            if (revoked.IsUnavailable)
            {
                await JsonResponses.StoreUnavailableAsync(context.Response);
                return;
            }

            if (revoked.Value)
            {
                metrics.SignedOut();
            }
        }

        writer.ClearSession(context, transfer);
        await JsonResponses.WriteAsync(context.Response, StatusCodes.Status200OK, JsonResponses.StatusOk);
    }
}
