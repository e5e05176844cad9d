using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SessionGateway.Authentication;
using SessionGateway.Configuration;
using SessionGateway.Transport;
using Yarp.ReverseProxy.Transforms;

namespace SessionGateway.Proxy;

/// <summary>
/// Runs on every forwarded request. First removes each identity header the client sent, in every spelling
/// (YARP's header transforms leave an inbound header alone when they have nothing to set, so removal is done
/// here, unconditionally). Then, for a valid session, sets the user id, session handle and claim headers.
/// Finally removes the gateway's own tokens (cookies and our bearer token): an upstream never sees a token.
/// </summary>
internal sealed class IdentityHeaderTransform : RequestTransform
{
    private IdentityHeaderFilter _filter;
    private IdentityHeaderSettings _names;

    public IdentityHeaderTransform(IOptionsMonitor<SessionSettings> settings)
    {
        _names = settings.CurrentValue.Headers;
        _filter = new IdentityHeaderFilter(_names);
        settings.OnChange(s =>
        {
            _filter = new IdentityHeaderFilter(s.Headers);
            _names = s.Headers;
        });
    }

    /// <summary>The identity header names in force (they reload with <c>Session:Headers</c>).</summary>
    public IdentityHeaderSettings Names => _names;

    /// <summary>The gateway-owned header matcher in force.</summary>
    public IdentityHeaderFilter Filter => _filter;

    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var filter = _filter;
        var names = _names;
        var request = context.HttpContext.Request;
        var outgoing = context.ProxyRequest.Headers;
        foreach (var header in request.Headers)
        {
            if (filter.IsOwned(header.Key))
            {
                outgoing.Remove(header.Key);
                context.ProxyRequest.Content?.Headers.Remove(header.Key);
            }
        }

        var session = context.HttpContext.Features.Get<SessionFeature>();
        if (session?.Token is { } token)
        {
            outgoing.TryAddWithoutValidation(names.UserId, HeaderValue(token.UserId));
            outgoing.TryAddWithoutValidation(names.SessionHandle, HeaderValue(token.SessionHandle));
            foreach (var (claim, header) in names.Claims)
            {
                if (token.CustomClaims.TryGetValue(claim, out var value))
                {
                    outgoing.TryAddWithoutValidation(header, HeaderValue(value));
                }
            }
        }

        if (session?.BearerIsOurs == true)
        {
            outgoing.Authorization = null;
        }

        if (request.Headers.Cookie.Count > 0)
        {
            // One pass: the cookies are rebuilt while looking for ours, and only replace the forwarded header when
            // one of ours was there.
            var rest = RequestTokens.CookiesWithoutTokens(request.Headers, out var hadTokenCookie);
            if (hadTokenCookie)
            {
                outgoing.Remove(HeaderNames.Cookie);
                if (rest is not null)
                {
                    outgoing.TryAddWithoutValidation(HeaderNames.Cookie, rest);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Header values must be visible ASCII; anything else (non-ASCII user ids, a newline in a claim) is sent
    /// percent-encoded as UTF-8 rather than failing the request or splitting a header. A value with a <c>%</c>
    /// is encoded too, so that decoding is unambiguous: <c>%61dmin</c> arrives as <c>%2561dmin</c>, never as
    /// something an upstream could decode to <c>admin</c>.
    /// </summary>
    internal static string HeaderValue(string value)
    {
        foreach (var c in value)
        {
            if (c is < ' ' or > '~' or '%')
            {
                return Uri.EscapeDataString(value);
            }
        }

        return value;
    }
}
