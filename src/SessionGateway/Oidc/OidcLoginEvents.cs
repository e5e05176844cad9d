using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using SessionGateway.Configuration;
using SessionGateway.Proxy;
using SessionGateway.Sessions;
using SessionGateway.Telemetry;
using SessionGateway.Transport;

namespace SessionGateway.Oidc;

/// <summary>
/// The OpenID Connect handler's events, where its login turns into a gateway session. The handler does the
/// protocol (discovery, PKCE, state, nonce, the code exchange, ID token validation, userinfo); these events keep
/// the claims it received, create the session in <see cref="OnTicketReceivedAsync"/> and end the request with a
/// redirect, so nothing is signed in to a cookie scheme and the provider's tokens never leave the gateway (nor stay
/// in it: they are dropped with the request). Failures end on <see cref="OidcErrorPage"/>.
/// </summary>
internal sealed partial class OidcLoginEvents(
    SessionStarter starter,
    ILogger<OidcLoginEvents> logger)
{
    // The frontend SDK keeps the front token in this script-readable cookie (set by its own code). A login that ends in
    // a redirect has no response the SDK reads: a page without it finds the session by refreshing (the SDK's "may
    // exist" state), which also hands it the front token. Sign-out through the provider clears it.
    internal const string FrontTokenCookie = "sFrontToken";

    /// <summary>The session claim that always holds the provider's name, so upstreams can tell providers' users apart.</summary>
    internal const string ProviderClaim = "idp";

    private static readonly object ClaimsKey = new();

    /// <summary>The handler's events for <paramref name="provider"/>.</summary>
    public OpenIdConnectEvents For(string provider, OidcProviderSettings providerSettings) => new()
    {
        OnRedirectToIdentityProviderForSignOut = context =>
        {
            // The ID token is not kept (it would be visible to upstreams among the session's claims), so there is no
            // id_token_hint; RP-initiated logout accepts client_id in its place, with post_logout_redirect_uri.
            context.ProtocolMessage.ClientId = providerSettings.ClientId;
            return Task.CompletedTask;
        },
        OnTokenValidated = context =>
        {
            // The handler validated the ID token (signature, issuer, audience, expiry, nonce); its payload is read
            // as JSON so that claim values keep their JSON types (a list of groups stays a list).
            var idToken = context.TokenEndpointResponse?.IdToken ?? context.ProtocolMessage?.IdToken;
            if (idToken is not null && ReadPayload(idToken) is { } payload)
            {
                Claims(context.HttpContext).Merge(payload);
            }

            return Task.CompletedTask;
        },
        OnUserInformationReceived = context =>
        {
            Claims(context.HttpContext).Merge(context.User.RootElement);
            return Task.CompletedTask;
        },
        OnTicketReceived = context => OnTicketReceivedAsync(context, provider, providerSettings),
        OnRemoteFailure = context => OnRemoteFailureAsync(context, provider),
    };

    private async Task OnTicketReceivedAsync(TicketReceivedContext context, string provider, OidcProviderSettings providerSettings)
    {
        // Whatever happens below, the handler must not sign in to a cookie scheme: this request ends here.
        context.HandleResponse();
        var http = context.HttpContext;
        var target = context.ReturnUri ?? "/";
        var retry = OidcPaths.Login(provider, target);
        var received = Claims(http).Values;
        if (!received.TryGetValue(providerSettings.UserIdClaim, out var idValue) || idValue.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
        {
            Log.UserIdClaimMissing(logger, provider, providerSettings.UserIdClaim);
            await OidcErrorPage.WriteAsync(http, StatusCodes.Status502BadGateway,
                $"The sign-in provider did not say who you are (its answer has no '{providerSettings.UserIdClaim}' claim).", retry);
            return;
        }

        var userId = providerSettings.UserIdPrefix + (idValue.ValueKind == JsonValueKind.String ? idValue.GetString()! : idValue.GetRawText());
        if (UserIds.Problem(userId) is { } problem)
        {
            Log.UserIdRefused(logger, provider, providerSettings.UserIdClaim, problem);
            await OidcErrorPage.WriteAsync(http, StatusCodes.Status502BadGateway,
                $"The sign-in provider's user id (claim '{providerSettings.UserIdClaim}') is not one the gateway accepts.", retry);
            return;
        }

        var claims = SessionClaims(provider, providerSettings, received);
        if (MappedClaimsTooLarge(claims))
        {
            // The header login's cap: over it the access-token cookie passes the ~4 KB browsers keep, the browser
            // drops it, and with RedirectUnauthenticated every page load would log in again (a store row each time).
            Log.ClaimsTooLarge(logger, provider, SessionLoginTransform.MaxClaimsLength);
            await OidcErrorPage.WriteAsync(http, StatusCodes.Status502BadGateway,
                "The provider's claims mapped to the session are too large: map fewer claims.", retry);
            return;
        }

        if (await starter.StartAsync(http, userId, claims, http.RequestAborted) is null)
        {
            await JsonResponses.StoreUnavailableAsync(http.Response);
            return;
        }

        http.Response.StatusCode = StatusCodes.Status302Found;
        http.Response.Headers.Location = target;
    }

    /// <summary>The session's claims: the provider's name as <see cref="ProviderClaim"/>, and the mapped claims it sent.</summary>
    internal static Dictionary<string, JsonElement> SessionClaims(string provider, OidcProviderSettings providerSettings, IReadOnlyDictionary<string, JsonElement> received)
    {
        var claims = new Dictionary<string, JsonElement>(StringComparer.Ordinal)
        {
            [ProviderClaim] = JsonSerializer.SerializeToElement(provider),
        };
        foreach (var (from, to) in providerSettings.Claims)
        {
            if (received.TryGetValue(from, out var value))
            {
                claims[to] = value;
            }
        }

        return claims;
    }

    /// <summary>Whether the session claims' JSON is over <see cref="SessionLoginTransform.MaxClaimsLength"/>, as the header login measures it.</summary>
    internal static bool MappedClaimsTooLarge(IReadOnlyDictionary<string, JsonElement> claims) =>
        JsonSerializer.Serialize(claims).Length > SessionLoginTransform.MaxClaimsLength;

    private async Task OnRemoteFailureAsync(RemoteFailureContext context, string provider)
    {
        context.HandleResponse();
        var (status, reason, kind) = Classify(context.Failure);
        Log.LoginFailed(logger, provider, kind, context.Failure?.GetType().Name ?? "none", context.Failure?.Message ?? "");
        var target = context.Properties?.RedirectUri ?? "/";
        await OidcErrorPage.WriteAsync(context.HttpContext, status, reason, OidcPaths.Login(provider, target));
    }

    /// <summary>The status, the reason shown to the user and the reason logged, from the handler's failure.</summary>
    internal static (int Status, string Reason, string Kind) Classify(Exception? failure)
    {
        var message = failure?.Message ?? "";
        if (failure is OpenIdConnectProtocolException && message.Contains("'access_denied'", StringComparison.Ordinal))
        {
            return (StatusCodes.Status400BadRequest, "The sign-in was cancelled or refused at the provider.", "access denied");
        }

        if (message.StartsWith("Correlation failed", StringComparison.Ordinal) || message.Contains("state was missing or invalid", StringComparison.Ordinal) ||
            message.Contains("unprotect the message.State", StringComparison.Ordinal) ||
            // No state at all (a callback URL opened by hand, or an error answer stripped of it): the handler says
            // "message.State is null or empty".
            message.Contains("message.State is null or empty", StringComparison.Ordinal))
        {
            return (StatusCodes.Status400BadRequest,
                "This sign-in answer does not match a sign-in started in this browser (it expired, was altered, or was started elsewhere).",
                "state or correlation mismatch");
        }

        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException or SocketException or TaskCanceledException or IOException)
            {
                return (StatusCodes.Status502BadGateway, "The sign-in provider could not be reached.", "provider unreachable");
            }
        }

        if (failure is OpenIdConnectProtocolException && message.StartsWith("Message contains error", StringComparison.Ordinal))
        {
            return (StatusCodes.Status502BadGateway, "The sign-in provider answered with an error.", "provider error");
        }

        return (StatusCodes.Status502BadGateway, "The sign-in provider's answer could not be accepted.", "answer not accepted");
    }

    private static ReceivedClaims Claims(HttpContext context)
    {
        if (context.Items.TryGetValue(ClaimsKey, out var existing) && existing is ReceivedClaims claims)
        {
            return claims;
        }

        claims = new ReceivedClaims();
        context.Items[ClaimsKey] = claims;
        return claims;
    }

    private static JsonElement? ReadPayload(string jwt)
    {
        var parts = jwt.Split('.');
        if (parts.Length < 2)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(WebEncoders.Base64UrlDecode(parts[1]));
            return document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.Clone() : null;
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return null;
        }
    }

    /// <summary>The claims of one login: the ID token's, then userinfo's over them.</summary>
    private sealed class ReceivedClaims
    {
        public Dictionary<string, JsonElement> Values { get; } = new(StringComparer.Ordinal);

        public void Merge(JsonElement json)
        {
            if (json.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            foreach (var property in json.EnumerateObject())
            {
                Values[property.Name] = property.Value.Clone();
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(2202, LogLevel.Warning, "OpenID Connect login with {Provider} failed ({Kind}): {ExceptionType}: {Message}")]
        public static partial void LoginFailed(ILogger logger, string provider, string kind, string exceptionType, string message);

        [LoggerMessage(2203, LogLevel.Warning, "OpenID Connect login with {Provider}: the provider's answer has no usable '{Claim}' claim (Session:Oidc:Providers:{Provider}:UserIdClaim); no session created")]
        public static partial void UserIdClaimMissing(ILogger logger, string provider, string claim);

        [LoggerMessage(2204, LogLevel.Warning, "OpenID Connect login with {Provider}: the '{Claim}' claim is not a user id the gateway accepts: {Reason}; no session created")]
        public static partial void UserIdRefused(ILogger logger, string provider, string claim, string reason);

        [LoggerMessage(2210, LogLevel.Warning, "OpenID Connect login with {Provider}: the claims mapped to the session (Session:Oidc:Providers:{Provider}:Claims) are over {MaxLength} characters of JSON; no session created")]
        public static partial void ClaimsTooLarge(ILogger logger, string provider, int maxLength);
    }
}
