using System.Text.Json;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Telemetry;

namespace SessionGateway.Transport;

/// <summary>
/// Starts a gateway session for a user whose login something else checked (the app's login header or login form, the
/// users file, an OpenID provider): the one way every login creates the session in the engine (with an anti-CSRF
/// token when that mode is on) and writes its tokens to the response (cookies, or headers for
/// <c>st-auth-mode: header</c>), inside a login span.
/// </summary>
internal sealed class SessionStarter(SessionEngine engine, SessionResponseWriter writer, IOptionsMonitor<SessionSettings> settings)
{
    /// <summary>The new session, written to the response; null when the store is unavailable (nothing written: the caller answers 503).</summary>
    public async Task<IssuedSession?> StartAsync(HttpContext context, string userId, IReadOnlyDictionary<string, JsonElement>? claims, CancellationToken cancellationToken)
    {
        using var activity = GatewaySpans.Source.StartActivity(GatewaySpans.Login);
        var created = await engine.CreateAsync(userId, claims, settings.CurrentValue.ResolveAntiCsrf() == AntiCsrfMode.Token, RequestClient.Of(context), cancellationToken);
        if (created.Value is not { } session)
        {
            return null;
        }

        writer.WriteSession(context, session, RequestTokens.RequestedTransfer(context.Request.Headers) ?? TokenTransfer.Cookie);
        return session;
    }
}
