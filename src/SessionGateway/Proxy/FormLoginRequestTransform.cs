using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
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
            // Browsers always send the length of a form. A chunked body's size is known only once it is read, and one
            // over the bound could then no longer be forwarded whole.
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
            // A multipart part is read in the charset its own Content-Type names, UTF-8 by default; bytes that are not
            // valid there become U+FFFD, which UserIds refuses.
            var values = IsUrlEncoded(request.ContentType)
                ? await ReadUrlEncodedAsync(request.Body, (int)length, field, cancellationToken)
                : (await new FormFeature(request, Limits).ReadFormAsync(cancellationToken))[field];
            return values.Count switch
            {
                0 => SubmittedLogin.Refused($"the form has no field '{field}'"),
                > 1 => SubmittedLogin.Refused($"the form has {values.Count} values of field '{field}'"),
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

    private static bool IsUrlEncoded(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var parsed) &&
        string.Equals(parsed.MediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The values of <paramref name="field"/> in a urlencoded form, read here rather than by ASP.NET's form reader,
    /// which leaves a percent-escape that is not UTF-8 (<c>%FF</c>) as the three characters: the app may read those
    /// bytes as another name (Latin-1), so such a value becomes U+FFFD, which <see cref="UserIds"/> refuses. Field
    /// names compare case-insensitively, as ASP.NET's do: <c>UserName</c> beside <c>username</c> is a second value.
    /// </summary>
    private static async Task<StringValues> ReadUrlEncodedAsync(Stream body, int length, string field, CancellationToken cancellationToken)
    {
        var bytes = new byte[length];
        await body.ReadExactlyAsync(bytes, cancellationToken);
        var values = StringValues.Empty;
        foreach (var pair in bytes.AsSpan().Split((byte)'&'))
        {
            var segment = bytes.AsSpan(pair);
            var equals = segment.IndexOf((byte)'=');
            var name = Decode(equals < 0 ? segment : segment[..equals]);
            if (name is not null && name.Equals(field, StringComparison.OrdinalIgnoreCase))
            {
                values = StringValues.Concat(values, equals < 0 ? "" : Decode(segment[(equals + 1)..]) ?? "\uFFFD");
            }
        }

        return values;
    }

    /// <summary>A urlencoded name or value ('+' is a space, %XX a byte) read as UTF-8; null when the bytes are not UTF-8.</summary>
    private static string? Decode(ReadOnlySpan<byte> encoded)
    {
        var decoded = new byte[encoded.Length];
        var n = 0;
        for (var i = 0; i < encoded.Length; i++)
        {
            var b = encoded[i];
            if (b == '+')
            {
                b = (byte)' ';
            }
            else if (b == '%' && i + 2 < encoded.Length &&
                     HexValue(encoded[i + 1]) is var high and >= 0 && HexValue(encoded[i + 2]) is var low and >= 0)
            {
                b = (byte)((high << 4) | low);
                i += 2;
            }

            decoded[n++] = b;
        }

        return System.Text.Unicode.Utf8.IsValid(decoded.AsSpan(0, n)) ? Encoding.UTF8.GetString(decoded, 0, n) : null;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };

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
