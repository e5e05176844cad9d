using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Telemetry;
using SessionGateway.Transport;
using Yarp.ReverseProxy.Transforms;

namespace SessionGateway.Proxy;

/// <summary>
/// On a route with metadata <c>SessionLogin: "form"</c>: when the app's answer to a login POST says success (a status
/// in <c>Session:Login:Form:SuccessStatus</c> whose <c>Location</c> neither leads back to the login request's own
/// path nor matches <c>FailureLocation</c>), creates
/// the session for the user name <see cref="FormLoginRequestTransform"/> read from the form, and adds its tokens to
/// that same answer. The app's own status, cookies, <c>Location</c> and body pass through untouched. A failed login
/// creates nothing and leaves an existing session alone; a success without an acceptable user name creates nothing
/// and is logged.
/// </summary>
internal sealed partial class FormLoginResponseTransform(
    SessionStarter starter,
    IOptionsMonitor<SessionSettings> settings,
    ILogger<FormLoginResponseTransform> logger) : ResponseTransform
{
    public override async ValueTask ApplyAsync(ResponseTransformContext context)
    {
        if (context.ProxyResponse?.RequestMessage is not { } sent || !sent.Options.TryGetValue(SubmittedLogin.Key, out var submitted))
        {
            return; // Not a POST, or the app never answered.
        }

        var current = settings.CurrentValue;
        var response = context.HttpContext.Response;
        if (!Succeeded(current.Login.Form, context.HttpContext.Request, response))
        {
            return;
        }

        if (submitted.UserName is not { } userName)
        {
            Log.SuccessWithoutUser(logger, response.StatusCode, submitted.Problem ?? "?");
            return;
        }

        if (await starter.StartAsync(context.HttpContext, userName, claims: null, context.CancellationToken) is null)
        {
            // The app's answer (and its cookies) is replaced: the client must not believe it is signed in.
            response.Headers.RetryAfter = "1";
            await SessionLoginTransform.ReplaceAsync(context, StatusCodes.Status503ServiceUnavailable, JsonResponses.StoreUnavailable);
        }
    }

    /// <summary>Whether the app's answer means "signed in": a success status and a <c>Location</c> (if any) that is not a failure page.</summary>
    private bool Succeeded(FormLoginSettings form, HttpRequest request, HttpResponse response)
    {
        if (!form.EffectiveSuccessStatus.Contains(response.StatusCode))
        {
            return false;
        }

        var location = response.Headers.Location;
        if (location.Count > 1)
        {
            return false; // Which one the browser follows is anybody's guess: not a clear success.
        }

        if (location.Count == 0)
        {
            return true;
        }

        if (BackToTheForm(location.ToString(), request))
        {
            return false; // Devise's /users/sign_in, /session/new, /signin: a wrong password is sent back to the form.
        }

        try
        {
            // The static IsMatch keeps the parsed pattern in Regex's own cache, and a reload's new pattern takes over.
            return !Regex.IsMatch(location.ToString(), form.FailureLocation, FormLoginSettings.FailureLocationOptions, FormLoginSettings.MatchTimeout);
        }
        catch (RegexMatchTimeoutException)
        {
            Log.FailureLocationTimeout(logger, FormLoginSettings.MatchTimeout.TotalMilliseconds);
            return false;
        }
    }

    /// <summary>
    /// Whether <paramref name="location"/>, resolved against the login request's own URL, names that same path on this
    /// host (case and a trailing '/' aside, query ignored): the classic "back to the form" failure. A <c>Location</c>
    /// that cannot be resolved counts as this too: fail closed.
    /// </summary>
    internal static bool BackToTheForm(string location, HttpRequest request)
    {
        var ownPath = (request.PathBase + request.Path).Value ?? "/";
        if (!Uri.TryCreate($"{request.Scheme}://{request.Host.Value}{ownPath}", UriKind.Absolute, out var own) ||
            !Uri.TryCreate(own, location, out var target))
        {
            return true;
        }

        if (!string.Equals(target.Host, own.Host, StringComparison.OrdinalIgnoreCase))
        {
            return false; // Another host: only FailureLocation can tell.
        }

        return string.Equals(
            Uri.UnescapeDataString(target.AbsolutePath).TrimEnd('/'),
            Uri.UnescapeDataString(own.AbsolutePath).TrimEnd('/'),
            StringComparison.OrdinalIgnoreCase);
    }

    private static partial class Log
    {
        [LoggerMessage(2250, LogLevel.Warning, "A form login succeeded at the app (status {Status}) but {Reason}; no session created")]
        public static partial void SuccessWithoutUser(ILogger logger, int status, string reason);

        [LoggerMessage(2251, LogLevel.Warning, "Session:Login:Form:FailureLocation took more than {Milliseconds} ms on a Location; counted as a failed login")]
        public static partial void FailureLocationTimeout(ILogger logger, double milliseconds);
    }
}
