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
        if (QueryNames(request.QueryString.Value).Contains(field))
        {
            // Servlets, Spring, Rails and Flask read a query parameter before or beside the body's: the app could sign
            // in the query's name while the gateway read the body's.
            return SubmittedLogin.Refused($"the query string also carries field '{field}' (in some spelling)");
        }

        if (DeclaredCharset(request.ContentType) is { } charset && !IsUtf8(charset))
        {
            return SubmittedLogin.Refused("the form declares a charset other than UTF-8; the app may read the name in it");
        }

        request.EnableBuffering(bufferThreshold: FormLoginSettings.MaxFormBytes, bufferLimit: FormLoginSettings.MaxFormBytes);
        try
        {
            // A multipart part is read in the charset its own Content-Type names, UTF-8 by default; bytes that are not
            // valid there become U+FFFD, which UserIds refuses.
            StringValues values;
            if (IsUrlEncoded(request.ContentType))
            {
                var bytes = new byte[length];
                await request.Body.ReadExactlyAsync(bytes, cancellationToken);
                if (bytes.AsSpan().Contains((byte)';'))
                {
                    // CGI.pm and old Rack and Python parsers split pairs on ';' as well as '&'.
                    return SubmittedLogin.Refused("the urlencoded form contains a raw ';', which some apps read as a separator");
                }

                if (FieldValues(bytes, CharsetField).Count > 0)
                {
                    return SubmittedLogin.Refused($"the form has a '{CharsetField}' field; the app may read the name in that charset");
                }

                values = FieldValues(bytes, field);
            }
            else
            {
                var form = await new FormFeature(request, Limits).ReadFormAsync(cancellationToken);
                if (form.ContainsKey(CharsetField))
                {
                    return SubmittedLogin.Refused($"the form has a '{CharsetField}' field; the app may read the name in that charset");
                }

                values = form[field];
            }

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

    /// <summary>
    /// The names in a query string (<c>?a=1&amp;b;c</c>), decoded as the body's are, split on '&amp;' and ';' alike; an
    /// undecodable name is kept as U+FFFD. Compared case-insensitively, as the body's names are: fail closed.
    /// </summary>
    private static HashSet<string> QueryNames(string? query)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(query))
        {
            return names;
        }

        var bytes = Encoding.UTF8.GetBytes(query.TrimStart('?'));
        foreach (var pair in bytes.AsSpan().SplitAny((byte)'&', (byte)';'))
        {
            var segment = bytes.AsSpan(pair);
            var equals = segment.IndexOf((byte)'=');
            names.Add(Decode(equals < 0 ? segment : segment[..equals]) ?? "\uFFFD");
        }

        return names;
    }

    /// <summary>The form field (HTML's <c>_charset_</c>) by which a browser tells the app the form's charset.</summary>
    private const string CharsetField = "_charset_";

    private static string? DeclaredCharset(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var parsed) ? parsed.CharSet?.Trim('"') : null;

    private static bool IsUtf8(string charset) =>
        charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);

    private static bool IsUrlEncoded(string? contentType) =>
        contentType is not null && MediaTypeHeaderValue.TryParse(contentType, out var parsed) &&
        string.Equals(parsed.MediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The values of <paramref name="field"/> in a urlencoded form, read here rather than by ASP.NET's form reader,
    /// which leaves a percent-escape that is not UTF-8 (<c>%FF</c>) as the three characters: the app may read those
    /// bytes as another name (Latin-1), so such a value becomes U+FFFD, which <see cref="UserIds"/> refuses. Field
    /// names compare case-insensitively, as ASP.NET's do: <c>UserName</c> beside <c>username</c> is a second value.
    /// </summary>
    private static StringValues FieldValues(byte[] bytes, string field)
    {
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
