using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using SessionGateway.Authentication;
using SessionGateway.Configuration;
using Yarp.ReverseProxy.Transforms;

namespace SessionGateway.Proxy;

/// <summary>
/// On a route with metadata <c>SessionLogin: "form"</c> (and only there: <see cref="GatewayTransformProvider"/> adds it
/// per route), reads the user name from the app's own login POST before it is forwarded, without taking the body
/// from the forwarder: the body is buffered (at most <see cref="FormLoginSettings.MaxFormBytes"/>, in memory), read as
/// a form and rewound, so the app receives it byte for byte. YARP reads <c>HttpContext.Request.Body</c> only when it
/// sends the request, after the request transforms. What it found goes to <see cref="FormLoginResponseTransform"/>
/// as a <see cref="SubmittedLogin"/>; the request itself is never refused here.
/// </summary>
internal sealed class FormLoginRequestTransform(IOptionsMonitor<SessionSettings> settings) : RequestTransform
{
    // The multipart reader's own limits would allow far more than a login form; these keep a hostile form small.
    private static readonly FormOptions Limits = new()
    {
        BufferBody = false, // Buffered below, with our limit.
        ValueCountLimit = 256,
        KeyLengthLimit = 1024,
        ValueLengthLimit = FormLoginSettings.MaxFormBytes,
        MultipartBodyLengthLimit = FormLoginSettings.MaxFormBytes,
        MultipartHeadersCountLimit = 16,
        MultipartHeadersLengthLimit = 4096,
    };

    public override async ValueTask ApplyAsync(RequestTransformContext context)
    {
        var request = context.HttpContext.Request;
        if (HttpMethods.IsPost(request.Method))
        {
            var current = settings.CurrentValue;
            context.ProxyRequest.Options.Set(SubmittedLogin.Key, await ReadAsync(request, current, context.CancellationToken));
        }
    }

    private static async Task<SubmittedLogin> ReadAsync(HttpRequest request, SessionSettings settings, CancellationToken cancellationToken)
    {
        if (!request.HasFormContentType)
        {
            return SubmittedLogin.Refused("the POST is not a form (application/x-www-form-urlencoded or multipart/form-data)");
        }

        if (request.Headers.Origin is { Count: > 0 } origins && !IsOwnOrigin(origins.ToString(), request, settings.Cors))
        {
            // Login CSRF: another site's page posting its own credentials into the victim's browser. A browser sends
            // Origin with every form POST; a client that sends none is not a browser another site can drive.
            return SubmittedLogin.Refused("the form was posted from another origin (Origin header)");
        }

        if (request.ContentLength is not { } length)
        {
            // Browsers always send the length of a form; a chunked body could only be read by guessing its end.
            return SubmittedLogin.Refused("the form has no Content-Length");
        }

        if (length > FormLoginSettings.MaxFormBytes)
        {
            return SubmittedLogin.Refused($"the form is longer than {FormLoginSettings.MaxFormBytes} bytes");
        }

        var field = settings.Login.Form.UserField;
        request.EnableBuffering(bufferThreshold: FormLoginSettings.MaxFormBytes, bufferLimit: FormLoginSettings.MaxFormBytes);
        try
        {
            var form = await new FormFeature(request, Limits).ReadFormAsync(cancellationToken);
            // Form keys compare case-insensitively, so "username" and "UserName" are one field with two values.
            var values = form[field];
            return values.Count switch
            {
                0 => SubmittedLogin.Refused($"the form has no field '{field}'"),
                > 1 => SubmittedLogin.Refused($"the form has {values.Count} values of field '{field}'"),
                // Both readers decode UTF-8 (a multipart part may name another charset); bytes that are not UTF-8
                // become U+FFFD, which UserIds refuses.
                _ => UserIds.Problem(values[0]!) is { } problem
                    ? SubmittedLogin.Refused($"the user name in field '{field}' is not a user id the gateway accepts: {problem}")
                    : SubmittedLogin.User(values[0]!),
            };
        }
        catch (InvalidDataException)
        {
            return SubmittedLogin.Refused("the form could not be read within the gateway's limits");
        }
        catch (IOException) when (!cancellationToken.IsCancellationRequested)
        {
            // The client's body broke off or was malformed; the forwarder meets the same body and answers for it.
            return SubmittedLogin.Refused("the form's body could not be read");
        }
        finally
        {
            request.Body.Position = 0;
        }
    }

    private static bool IsOwnOrigin(string origin, HttpRequest request, CorsSettings cors)
    {
        if (Origins.IsRequestOrigin(origin, request.Scheme, request.Host))
        {
            return true;
        }

        foreach (var allowed in cors.AllowedOrigins)
        {
            if (Origins.AreSame(origin, allowed))
            {
                return true;
            }
        }

        return false;
    }
}
