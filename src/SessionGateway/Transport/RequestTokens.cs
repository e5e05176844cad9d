using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace SessionGateway.Transport;

/// <summary>
/// Reads session tokens from a request without parsing every cookie into a dictionary: the hot path only needs
/// to know whether one cookie is there, and how many times (two <c>sAccessToken</c> cookies are ambiguous).
/// </summary>
internal static class RequestTokens
{
    /// <summary>The value of cookie <paramref name="name"/> (URL-decoded) and how often it occurs.</summary>
    public static (string? Value, int Count) Cookie(IHeaderDictionary headers, string name)
    {
        string? value = null;
        var count = 0;
        foreach (var header in headers.Cookie)
        {
            if (header is null)
            {
                continue;
            }

            var rest = header.AsSpan();
            while (rest.Length > 0)
            {
                var end = rest.IndexOf(';');
                var pair = (end < 0 ? rest : rest[..end]).Trim();
                rest = end < 0 ? default : rest[(end + 1)..];
                var eq = pair.IndexOf('=');
                if (eq <= 0 || !pair[..eq].Trim().SequenceEqual(name))
                {
                    continue;
                }

                count++;
                if (count == 1)
                {
                    var raw = pair[(eq + 1)..].Trim().Trim('"');
                    value = raw.Contains('%') ? Uri.UnescapeDataString(raw.ToString()) : raw.ToString();
                }
            }
        }

        return (value, count);
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

    /// <summary>
    /// Cookies that hold a session token: ours, and the ones the frontend SDKs keep in header mode (they store
    /// <c>st-access-token</c>/<c>st-refresh-token</c> in script-readable cookies that the browser then sends along).
    /// </summary>
    private static readonly string[] TokenCookies =
    [
        ProtocolNames.AccessTokenCookie, ProtocolNames.RefreshTokenCookie,
        ProtocolNames.AccessTokenHeader, ProtocolNames.RefreshTokenHeader,
    ];

    /// <summary>True when the request may carry a session-token cookie (a cheap substring test; the rewrite is exact).</summary>
    public static bool HasTokenCookie(IHeaderDictionary headers)
    {
        foreach (var header in headers[HeaderNames.Cookie])
        {
            if (header is null)
            {
                continue;
            }

            foreach (var name in TokenCookies)
            {
                if (header.Contains(name, StringComparison.Ordinal))
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
        var kept = new List<string>();
        foreach (var header in headers[HeaderNames.Cookie])
        {
            if (header is null)
            {
                continue;
            }

            foreach (var part in header.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = part.IndexOf('=', StringComparison.Ordinal);
                var name = eq < 0 ? part : part[..eq].Trim();
                if (!TokenCookies.Contains(name, StringComparer.Ordinal))
                {
                    kept.Add(part);
                }
            }
        }

        return kept.Count == 0 ? null : string.Join("; ", kept);
    }
}
