using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using SessionGateway.Authentication;
using SessionGateway.Configuration;
using SessionGateway.Proxy;
using SessionGateway.Sessions;
using SessionGateway.Telemetry;
using SessionGateway.Transport;

namespace SessionGateway.SignIn;

/// <summary>
/// <c>{Session:Login:SignInPath}</c> with a users file: <c>GET</c> serves the built-in sign-in page; <c>POST</c> with
/// JSON <c>{"username","password"}</c> (and the <c>rid</c> header) or with the page's form checks the password and
/// creates the session. Wrong user and wrong password get the same answer in the same time. A form post must come
/// from the gateway's own origin or an allowed one, so a cross-site form cannot sign a victim in to an attacker's
/// account (login CSRF).
/// </summary>
internal sealed partial class SignInEndpoint(
    UsersFile users,
    SessionStarter starter,
    IOptionsMonitor<SessionSettings> settings,
    ILogger<SignInEndpoint> logger)
{
    // A user name, a password and a redirect path fit many times over; a bigger body is not a sign-in.
    internal const int MaxBodyBytes = 16 * 1024;

    private static readonly byte[] WrongCredentials = Encoding.UTF8.GetBytes("""{"message":"wrong credentials"}""");
    private static readonly byte[] Busy = Encoding.UTF8.GetBytes("""{"message":"sign-in is busy, try again"}""");
    private static readonly byte[] BadBody = Encoding.UTF8.GetBytes("""{"message":"expected a JSON object {\"username\":\"...\",\"password\":\"...\"} or a form with username and password"}""");
    private static readonly byte[] TooLarge = Encoding.UTF8.GetBytes("""{"message":"request body too large"}""");
    private static readonly byte[] UnsupportedType = Encoding.UTF8.GetBytes("""{"message":"send application/json or application/x-www-form-urlencoded"}""");
    private static readonly byte[] RidMissing = Encoding.UTF8.GetBytes("""{"message":"sign-in refused: the rid header is missing (anti-CSRF)"}""");
    private static readonly byte[] CrossSite = Encoding.UTF8.GetBytes("""{"message":"sign-in refused: the form was not posted from this site (anti-CSRF)"}""");
    private static readonly Dictionary<string, JsonElement> NoClaims = new(StringComparer.Ordinal);

    public UsersFile Users => users;

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var current = settings.CurrentValue;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            await SignInPage.WriteAsync(context, current.Login.SignInPath, request.Query["error"] == "1", LocalRedirect.OrNull(request.Query["redirect"]));
            return;
        }

        if (!HttpMethods.IsPost(request.Method))
        {
            await JsonResponses.MethodNotAllowedAsync(context.Response, "GET, HEAD, POST");
            return;
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status413PayloadTooLarge, TooLarge);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        try
        {
            if (request.HasJsonContentType())
            {
                await SignInJsonAsync(context, current);
            }
            else if (IsUrlEncodedForm(request.ContentType))
            {
                await SignInFormAsync(context, current);
            }
            else
            {
                await JsonResponses.WriteAsync(context.Response, StatusCodes.Status415UnsupportedMediaType, UnsupportedType);
            }
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge && !context.Response.HasStarted)
        {
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status413PayloadTooLarge, TooLarge);
        }
    }

    private async Task SignInJsonAsync(HttpContext context, SessionSettings current)
    {
        // A page on another site cannot add a header to a cross-site request without the CORS preflight, which only
        // Session:Cors:AllowedOrigins pass. The SDK sends rid on every request.
        if (!context.Request.Headers.ContainsKey(ProtocolNames.RidHeader))
        {
            Log.RidMissing(logger, Remote(context));
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status403Forbidden, RidMissing);
            return;
        }

        var body = await ReadBodyAsync(context.Request, context.RequestAborted);
        if (!TryReadJson(body, out var username, out var password))
        {
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status400BadRequest, BadBody);
            return;
        }

        var check = await users.VerifyAsync(username, password, context.RequestAborted);
        if (check.IsBusy)
        {
            await BusyAsync(context);
            return;
        }

        var userId = check.UserId;
        if (userId is null || UserIds.Problem(userId) is not null)
        {
            Log.WrongCredentials(logger, Remote(context));
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status401Unauthorized, WrongCredentials);
            return;
        }

        if (await CreateSessionAsync(context, userId, current))
        {
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status200OK, SignedInBody(userId));
        }
    }

    private async Task SignInFormAsync(HttpContext context, SessionSettings current)
    {
        if (!FromThisSite(context.Request, current))
        {
            Log.CrossSiteForm(logger, Remote(context));
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status403Forbidden, CrossSite);
            return;
        }

        Dictionary<string, Microsoft.Extensions.Primitives.StringValues> form;
        try
        {
            form = await new FormReader(context.Request.Body)
            {
                ValueCountLimit = 16,
                KeyLengthLimit = 64,
                ValueLengthLimit = MaxBodyBytes,
            }.ReadFormAsync(context.RequestAborted);
        }
        catch (InvalidDataException)
        {
            // Over the reader's limits (fields, key or value length): not a sign-in form.
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status400BadRequest, BadBody);
            return;
        }

        var redirect = form.TryGetValue("redirect", out var r) ? LocalRedirect.OrNull(r.ToString()) : null;
        if (!form.TryGetValue("username", out var username) || username.Count != 1 ||
            !form.TryGetValue("password", out var password) || password.Count != 1)
        {
            await JsonResponses.WriteAsync(context.Response, StatusCodes.Status400BadRequest, BadBody);
            return;
        }

        var check = await users.VerifyAsync(username.ToString(), password.ToString(), context.RequestAborted);
        if (check.IsBusy)
        {
            await BusyAsync(context);
            return;
        }

        var userId = check.UserId;
        if (userId is null || UserIds.Problem(userId) is not null)
        {
            Log.WrongCredentials(logger, Remote(context));
            // Back to the page with its error shown (post, redirect, get: reloading the page does not post again).
            var again = current.Login.SignInPath + "?error=1" + (redirect is null ? "" : "&redirect=" + Uri.EscapeDataString(redirect));
            SeeOther(context.Response, again);
            return;
        }

        if (await CreateSessionAsync(context, userId, current))
        {
            SeeOther(context.Response, redirect ?? "/");
        }
    }

    /// <summary>No password check slot came free in time: 503, nothing checked, try again in a second.</summary>
    private Task BusyAsync(HttpContext context)
    {
        Log.Busy(logger, Remote(context));
        context.Response.Headers.RetryAfter = "1";
        return JsonResponses.WriteAsync(context.Response, StatusCodes.Status503ServiceUnavailable, Busy);
    }

    /// <summary>
    /// Creates the session as every login does (<see cref="SessionLoginTransform"/>): anti-CSRF token as configured,
    /// tokens in cookies or headers as the client asked. False when the store is down (503 written, nothing made).
    /// </summary>
    private async Task<bool> CreateSessionAsync(HttpContext context, string userId, SessionSettings current)
    {
        if (await starter.StartAsync(context, userId, claims: null, context.RequestAborted) is null)
        {
            await JsonResponses.StoreUnavailableAsync(context.Response);
            return false;
        }

        Log.SignedIn(logger, userId);
        return true;
    }

    /// <summary>
    /// True when the form's page was on the gateway's own origin or an allowed one: the <c>Origin</c> header, which
    /// browsers send with every form post, or without it the <c>Referer</c>'s origin. Neither: refused (fail closed;
    /// clients without a browser's headers use JSON).
    /// </summary>
    internal static bool FromThisSite(HttpRequest request, SessionSettings current)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            if (!Uri.TryCreate(request.Headers.Referer.ToString(), UriKind.Absolute, out var referer) ||
                (referer.Scheme != Uri.UriSchemeHttp && referer.Scheme != Uri.UriSchemeHttps))
            {
                return false;
            }

            origin = referer.GetLeftPart(UriPartial.Authority);
        }

        if (Origins.IsRequestOrigin(origin, request.Scheme, request.Host))
        {
            return true;
        }

        foreach (var allowed in current.Cors.AllowedOrigins)
        {
            if (Origins.AreSame(origin, allowed))
            {
                return true;
            }
        }

        return false;
    }

    private static bool IsUrlEncodedForm(string? contentType) =>
        contentType is not null && contentType.Split(';')[0].Trim().Equals("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    private static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }

    private static bool TryReadJson(byte[] body, out string username, out string password)
    {
        username = password = "";
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object ||
                !root.TryGetProperty("username", out var u) || u.ValueKind != JsonValueKind.String ||
                !root.TryGetProperty("password", out var p) || p.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            username = u.GetString()!;
            password = p.GetString()!;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static byte[] SignedInBody(string userId)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("status", "OK");
            json.WriteStartObject("user");
            json.WriteString("id", userId);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void SeeOther(HttpResponse response, string location)
    {
        response.StatusCode = StatusCodes.Status303SeeOther;
        response.Headers.Location = location;
        response.Headers.CacheControl = "no-store";
        response.ContentLength = 0;
    }

    private static string Remote(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "(none)";

    private static partial class Log
    {
        [LoggerMessage(2235, LogLevel.Information, "User {UserId} signed in with the users file")]
        public static partial void SignedIn(ILogger logger, string userId);

        // The submitted name is not logged: people type their password into the name field.
        [LoggerMessage(2236, LogLevel.Information, "Sign-in from {RemoteAddress} refused: wrong user name or password")]
        public static partial void WrongCredentials(ILogger logger, string remoteAddress);

        [LoggerMessage(2237, LogLevel.Warning, "JSON sign-in from {RemoteAddress} without the 'rid' header refused (anti-CSRF)")]
        public static partial void RidMissing(ILogger logger, string remoteAddress);

        [LoggerMessage(2239, LogLevel.Warning, "Sign-in from {RemoteAddress} answered 503: no password check slot came free in time (too many sign-ins at once)")]
        public static partial void Busy(ILogger logger, string remoteAddress);

        [LoggerMessage(2238, LogLevel.Warning, "Sign-in form from {RemoteAddress} refused: its Origin (or Referer) is neither this gateway nor an allowed origin (login CSRF)")]
        public static partial void CrossSiteForm(ILogger logger, string remoteAddress);
    }
}
