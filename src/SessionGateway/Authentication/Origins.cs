namespace SessionGateway.Authentication;

/// <summary>
/// Origin comparison as browsers mean it (RFC 6454): scheme, host and port, with a default port (80 for http, 443
/// for https) equal to its explicit form. Comparing host names alone would let a page on another port of the
/// same host, or the plain-http twin of an https site, pass as the gateway itself.
/// </summary>
internal static class Origins
{
    /// <summary>True when <paramref name="origin"/> (an <c>Origin</c> header) is the origin the client addressed: the request's scheme and <c>Host</c>.</summary>
    public static bool IsRequestOrigin(string origin, string scheme, HostString host)
    {
        if (!TryParse(origin, out var parsed) || !host.HasValue)
        {
            return false;
        }

        var requestScheme = scheme.ToLowerInvariant();
        var requestPort = host.Port ?? DefaultPort(requestScheme);
        return parsed.Scheme == requestScheme &&
            string.Equals(parsed.Host, host.Host, StringComparison.OrdinalIgnoreCase) &&
            parsed.Port == requestPort;
    }

    /// <summary>True when both are the same origin; false when either is not an origin.</summary>
    public static bool AreSame(string origin, string other) =>
        TryParse(origin, out var a) && TryParse(other, out var b) && a == b;

    private static bool TryParse(string origin, out (string Scheme, string Host, int Port) parsed)
    {
        parsed = default;

        // An origin is scheme://host[:port], nothing more; "null" (sandboxed frames, file:) is never a match.
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) ||
            (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) ||
            uri.UserInfo.Length > 0 || uri.PathAndQuery != "/" || uri.Fragment.Length > 0 || origin.EndsWith('/'))
        {
            return false;
        }

        parsed = (uri.Scheme, uri.Host.ToLowerInvariant(), uri.Port);
        return true;
    }

    private static int DefaultPort(string scheme) => scheme == Uri.UriSchemeHttps ? 443 : 80;
}
