using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using SessionGateway.Authentication;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Telemetry;
using SessionGateway.Transport;

namespace SessionGateway.Oidc;

/// <summary>
/// The request delegates of OpenID Connect login: start (<c>GET /api/login/{name}?redirect=</c>), the handler's
/// callbacks (login and signed-out), and sign-out through the provider (<c>/api/logout/{name}?redirect=</c>).
/// The gateway does not run <c>UseAuthentication</c> (see RouteAccessMiddleware), so the callbacks are endpoints that
/// hand their request to the scheme's handler, the work the authentication middleware would do on every request.
/// </summary>
internal sealed partial class OidcEndpoints(
    SessionEngine engine,
    SessionResponseWriter writer,
    SessionMetrics metrics,
    IOptions<SessionSettings> settings,
    IOptionsMonitor<OpenIdConnectOptions> handlerOptions,
    ILogger<OidcEndpoints> logger)
{
    public async Task StartAsync(HttpContext context, string provider)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            await JsonResponses.MethodNotAllowedAsync(context.Response, "GET");
            return;
        }

        var redirect = context.Request.Query["redirect"];
        var target = redirect.Count > 1 ? null : RedirectTargets.Resolve(redirect.ToString(), settings.Value.Cors.AllowedOrigins);
        if (target is null)
        {
            Log.TargetRefused(logger, provider);
            await OidcErrorPage.WriteAsync(context, StatusCodes.Status400BadRequest,
                "The address to return to after sign-in is not allowed: it must be a path on this site or an origin the gateway is configured to allow.",
                OidcPaths.Login(provider, "/"));
            return;
        }

        try
        {
            // The handler reads the provider's metadata, makes the PKCE verifier, nonce and protected state, sets its
            // correlation and nonce cookies and redirects to the authorization endpoint.
            await context.ChallengeAsync(OidcPaths.Scheme(provider), new AuthenticationProperties { RedirectUri = target });
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Mostly: the provider's metadata could not be fetched (down, or not an OpenID provider).
            Log.ProviderUnreachable(logger, provider, ex.GetType().Name, ex.GetBaseException().Message);
            await OidcErrorPage.WriteAsync(context, StatusCodes.Status502BadGateway, "The sign-in provider could not be reached.", OidcPaths.Login(provider, target));
        }
    }

    /// <summary>The login callback and the signed-out callback: the scheme's handler answers both.</summary>
    public async Task CallbackAsync(HttpContext context, string provider)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            // The answer comes in the query (ResponseMode=Query); the handler would read any other method's form body
            // in full, however large.
            await JsonResponses.MethodNotAllowedAsync(context.Response, "GET, HEAD");
            return;
        }

        var handlers = context.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
        try
        {
            if (await handlers.GetHandlerAsync(context, OidcPaths.Scheme(provider)) is IAuthenticationRequestHandler handler &&
                await handler.HandleRequestAsync())
            {
                if (context.Response is { HasStarted: false, StatusCode: StatusCodes.Status200OK } response && !response.Headers.ContainsKey("Location"))
                {
                    // A signed-out callback whose state did not survive: nowhere to go back to but the start.
                    response.StatusCode = StatusCodes.Status302Found;
                    response.Headers.Location = "/";
                }

                return;
            }
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            // The handler routes its failures to OnRemoteFailure; this is whatever escaped it.
            Log.CallbackFailed(logger, provider, ex.GetType().Name, ex.GetBaseException().Message);
            await OidcErrorPage.WriteAsync(context, StatusCodes.Status502BadGateway, "The sign-in could not be completed.", OidcPaths.Login(provider, "/"));
            return;
        }

        await OidcErrorPage.WriteAsync(context, StatusCodes.Status400BadRequest, "This is not an answer to a sign-in.", OidcPaths.Login(provider, "/"));
    }

    /// <summary>
    /// Ends the gateway session and, with <c>SignOutAtProvider</c>, the provider's (RP-initiated logout), then goes
    /// back to the target. A browser navigation cannot send the SDK's headers, so a cross-site request is refused:
    /// another site must not sign the user out.
    /// </summary>
    public async Task LogoutAsync(HttpContext context, string provider, OidcProviderSettings providerSettings)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsPost(context.Request.Method))
        {
            await JsonResponses.MethodNotAllowedAsync(context.Response, "GET, POST");
            return;
        }

        if (string.Equals(context.Request.Headers["Sec-Fetch-Site"], "cross-site", StringComparison.OrdinalIgnoreCase))
        {
            Log.CrossSiteLogoutRefused(logger, provider);
            await OidcErrorPage.WriteAsync(context, StatusCodes.Status400BadRequest, "Sign-out must be started from this site.", retryPath: null);
            return;
        }

        var target = RedirectTargets.Resolve(context.Request.Query["redirect"].ToString(), settings.Value.Cors.AllowedOrigins);
        if (target is null)
        {
            Log.TargetRefused(logger, provider);
            await OidcErrorPage.WriteAsync(context, StatusCodes.Status400BadRequest, "The address to return to after sign-out is not allowed.", retryPath: null);
            return;
        }

        using (GatewaySpans.Source.StartActivity(GatewaySpans.SignOut))
        {
            await context.AuthenticateAsync(SessionAuthenticationDefaults.AuthenticationScheme);
            if (context.Features.Get<SessionFeature>()?.Token is { } token)
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
        }

        writer.ClearSession(context, TokenTransfer.Cookie);
        context.Response.Cookies.Append(OidcLoginEvents.FrontTokenCookie, "", new CookieOptions { Path = "/", Expires = DateTimeOffset.UnixEpoch });
        context.Response.Headers.CacheControl = "no-store";
        if (providerSettings.SignOutAtProvider && await HasEndSessionEndpointAsync(context, provider))
        {
            try
            {
                // The handler redirects to end_session_endpoint with client_id (see OidcLoginEvents), protected state
                // and post_logout_redirect_uri = /api/logout-callback/{name}, which then redirects to the target.
                await context.SignOutAsync(OidcPaths.Scheme(provider), new AuthenticationProperties { RedirectUri = target });
                return;
            }
            catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                Log.ProviderSignOutFailed(logger, provider, ex.GetType().Name, ex.GetBaseException().Message);
            }
        }

        context.Response.StatusCode = StatusCodes.Status302Found;
        context.Response.Headers.Location = target;
    }

    private async Task<bool> HasEndSessionEndpointAsync(HttpContext context, string provider)
    {
        try
        {
            var options = handlerOptions.Get(OidcPaths.Scheme(provider));
            var configuration = await options.ConfigurationManager!.GetConfigurationAsync(context.RequestAborted);
            if (!string.IsNullOrEmpty(configuration.EndSessionEndpoint))
            {
                return true;
            }

            Log.NoEndSessionEndpoint(logger, provider);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            Log.ProviderSignOutFailed(logger, provider, ex.GetType().Name, ex.GetBaseException().Message);
        }

        return false;
    }

    private static partial class Log
    {
        [LoggerMessage(2200, LogLevel.Warning, "A login or logout with {Provider} asked to return to an address that is neither a local path nor an origin in Session:Cors:AllowedOrigins; refused (open redirect)")]
        public static partial void TargetRefused(ILogger logger, string provider);

        [LoggerMessage(2201, LogLevel.Warning, "OpenID Connect login with {Provider} could not start: {ExceptionType}: {Message}")]
        public static partial void ProviderUnreachable(ILogger logger, string provider, string exceptionType, string message);

        [LoggerMessage(2205, LogLevel.Warning, "OpenID Connect callback of {Provider} failed: {ExceptionType}: {Message}")]
        public static partial void CallbackFailed(ILogger logger, string provider, string exceptionType, string message);

        [LoggerMessage(2206, LogLevel.Warning, "A cross-site request to sign out through {Provider} was refused")]
        public static partial void CrossSiteLogoutRefused(ILogger logger, string provider);

        [LoggerMessage(2207, LogLevel.Warning, "Signing out at {Provider} failed; the gateway session is ended, the provider's is not: {ExceptionType}: {Message}")]
        public static partial void ProviderSignOutFailed(ILogger logger, string provider, string exceptionType, string message);

        [LoggerMessage(2208, LogLevel.Warning, "Session:Oidc:Providers:{Provider}:SignOutAtProvider is on but the provider publishes no end_session_endpoint; only the gateway session is ended")]
        public static partial void NoEndSessionEndpoint(ILogger logger, string provider);
    }
}
