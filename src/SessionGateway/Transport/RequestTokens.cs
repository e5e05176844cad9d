using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace SessionGateway.Transport;

/// <summary>
/// Reads session tokens from a request without parsing every cookie into a dictionary: the hot path only needs
/// to know whether one cookie is there, and how many times (two <c>sAccessToken</c> cookies are ambiguous).
/// Cookie names are compared the way frameworks read them: trimmed and URL-decoded, so <c>s%41ccessToken</c>
/// is <c>sAccessToken</c> too.
/// </summary>
internal static class RequestTokens
{
    /// <summary>
    /// Cookies that hold a session token: ours, and the ones the frontend SDKs keep in header mode (they store
    /// <c>st-access-token</c>/<c>st-refresh-token</c> in script-readable cookies that the browser then sends along).
    /// </summary>
    private static readonly string[] TokenCookies =
    [
        ProtocolNames.AccessTokenCookie, ProtocolNames.RefreshTokenCookie,
        ProtocolNames.AccessTokenHeader, ProtocolNames.RefreshTokenHeader,
    ];

    /// <summary>The value of cookie <paramref name="name"/> (URL-decoded) and how often it occurs.</summary>
    public static (string? Value, int Count) Cookie(IHeaderDictionary headers, string name)
    {
        var count = Cookie(headers, name, out var raw);
        return (count == 0 ? null : Decode(raw), count);
    }

    /// <summary>
    /// How often cookie <paramref name="name"/> occurs, and its first value as written (not yet URL-decoded; see
    /// <see cref="Decode"/>). The span points into the request's header string: no allocation.
    /// </summary>
    public static int Cookie(IHeaderDictionary headers, string name, out ReadOnlySpan<char> raw)
    {
        raw = default;
        var count = 0;
        foreach (var header in headers.Cookie)
        {
            if (header is null)
            {
                continue;
            }

            var rest = header.AsSpan();
            while (NextPair(ref rest, out var pairName, out var pairValue))
            {
                if (NameIs(pairName, name) && ++count == 1 && header.AsSpan().Overlaps(pairValue, out var offset))
                {
                    // Re-slice the header string itself: a view of the string is valid beyond this loop.
                    raw = header.AsSpan(offset, pairValue.Length).Trim('"');
                }
            }
        }

        return count;
    }

    /// <summary>A cookie value URL-decoded.</summary>
    public static string Decode(ReadOnlySpan<char> raw) =>
        raw.Contains('%') ? Uri.UnescapeDataString(raw.ToString()) : raw.ToString();

    /// <summary>True when the request carries a session-token cookie (ours, or an SDK's header-mode copy).</summary>
    public static bool HasTokenCookie(IHeaderDictionary headers)
    {
        foreach (var header in headers[HeaderNames.Cookie])
        {
            var rest = header.AsSpan();
            while (NextPair(ref rest, out var name, out _))
            {
                if (IsTokenCookie(name))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The request's cookies without session-token cookies, as one <c>Cookie</c> header value (null when none remain).</summary>
    public static string? CookiesWithoutTokens(IHeaderDictionary headers)
    {
        StringBuilder? kept = null;
        foreach (var header in headers[HeaderNames.Cookie])
        {
            var rest = header.AsSpan();
            while (true)
            {
                var before = rest;
                if (!NextPair(ref rest, out var name, out _))
                {
                    break;
                }

                if (!IsTokenCookie(name))
                {
                    var consumed = before[..(before.Length - rest.Length)];
                    var end = consumed.IndexOf(';');
                    kept = kept is null ? new StringBuilder(header!.Length) : kept.Append("; ");
                    kept.Append((end < 0 ? consumed : consumed[..end]).Trim());
                }
            }
        }

        return kept?.ToString();
    }

    /// <summary>The token of an <c>Authorization: Bearer</c> header, if there is exactly one.</summary>
    public static string? Bearer(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization;
        return authorization.Count == 1 ? ParseBearer(authorization[0]) : null;
    }

    /// <summary>The token of one <c>Authorization</c> value when its scheme is Bearer.</summary>
    public static string? ParseBearer(string? value)
    {
        const string scheme = "Bearer ";
        return value is not null && value.Length > scheme.Length && value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            ? value[scheme.Length..].Trim() is { Length: > 0 } token ? token : null
            : null;
    }

    /// <summary>The transfer method the client asked for with <c>st-auth-mode</c>, if any.</summary>
    public static TokenTransfer? RequestedTransfer(IHeaderDictionary headers)
    {
        var mode = headers[ProtocolNames.AuthModeHeader];
        return StringValues.IsNullOrEmpty(mode) ? null
            : string.Equals(mode[0], "header", StringComparison.OrdinalIgnoreCase) ? TokenTransfer.Header
            : string.Equals(mode[0], "cookie", StringComparison.OrdinalIgnoreCase) ? TokenTransfer.Cookie
            : null;
    }

    /// <summary>Takes the next <c>name=value</c> pair (both trimmed) off <paramref name="rest"/>; skips empty parts.</summary>
    private static bool NextPair(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> name, out ReadOnlySpan<char> value)
    {
        while (rest.Length > 0)
        {
            var end = rest.IndexOf(';');
            var pair = (end < 0 ? rest : rest[..end]).Trim();
            rest = end < 0 ? default : rest[(end + 1)..];
            if (pair.Length == 0)
            {
                continue;
            }

            var eq = pair.IndexOf('=');
            name = (eq < 0 ? pair : pair[..eq]).Trim();
            value = eq < 0 ? default : pair[(eq + 1)..].Trim();
            return true;
        }

        name = default;
        value = default;
        return false;
    }

    private static bool IsTokenCookie(ReadOnlySpan<char> name)
    {
        foreach (var token in TokenCookies)
        {
            if (NameIs(name, token))
            {
                return true;
            }
        }

        return false;
    }

    private static bool NameIs(ReadOnlySpan<char> name, string expected) =>
        name.SequenceEqual(expected) ||
        (name.Contains('%') && Uri.UnescapeDataString(name.ToString()).AsSpan().Trim().SequenceEqual(expected));
}
