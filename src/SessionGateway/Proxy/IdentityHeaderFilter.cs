using SessionGateway.Configuration;
using SessionGateway.Transport;

namespace SessionGateway.Proxy;

/// <summary>
/// Decides whether a request header belongs to the gateway: the identity headers it sets (the signed assertion's
/// included), and the names of its header-mode tokens. Matching ignores case and treats <c>_</c> as <c>-</c>, because
/// Kestrel accepts underscores and some upstream stacks (CGI, PHP, nginx with underscores_in_headers) fold
/// <c>X_User_Id</c> into <c>X-User-Id</c>: a spoofed identity in any spelling.
/// </summary>
internal sealed class IdentityHeaderFilter
{
    private readonly string[] _names;
    private readonly string _prefix;

    /// <param name="settings">The identity headers.</param>
    /// <param name="assertionHeader">
    /// The header of the signed assertion (<c>Session:Assertion:Header</c>), owned whatever the reserved prefix is.
    /// </param>
    public IdentityHeaderFilter(IdentityHeaderSettings settings, string assertionHeader)
    {
        // The header-mode token names are the gateway's too: a client sending its token in a request header of
        // that name must not hand it to the upstream.
        _names = new[] { settings.UserId, settings.SessionHandle, assertionHeader, ProtocolNames.AccessTokenHeader, ProtocolNames.RefreshTokenHeader }
            .Concat(settings.Claims.Values)
            .Concat(settings.Strip)
            .Where(n => n.Length > 0)
            .Select(Normalize)
            .Distinct(StringComparer.Ordinal)
            .ToArray();
        _prefix = Normalize(settings.ReservedPrefix);
    }

    /// <summary>True when <paramref name="header"/>, in any spelling, is one of the gateway's identity headers.</summary>
    public bool IsOwned(string header)
    {
        if (_prefix.Length > 0 && header.Length >= _prefix.Length && EqualsNormalized(header.AsSpan(0, _prefix.Length), _prefix))
        {
            return true;
        }

        foreach (var name in _names)
        {
            if (header.Length == name.Length && EqualsNormalized(header, name))
            {
                return true;
            }
        }

        return false;
    }

    private static bool EqualsNormalized(ReadOnlySpan<char> header, string normalized)
    {
        for (var i = 0; i < header.Length; i++)
        {
            var c = header[i];
            if (c == '_')
            {
                c = '-';
            }
            else if (char.IsAsciiLetterUpper(c))
            {
                c = (char)(c | 0x20);
            }

            if (c != normalized[i])
            {
                return false;
            }
        }

        return true;
    }

    private static string Normalize(string name) => name.Replace('_', '-').ToLowerInvariant();
}
