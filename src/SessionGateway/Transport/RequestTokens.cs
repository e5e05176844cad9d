using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace SessionGateway.Transport;

/// <summary>
/// Reads session tokens from a request without parsing every cookie into a dictionary: the hot path only needs
/// to know whether one cookie is there, and how many times (two <c>sAccessToken</c> cookies are ambiguous).
/// Reading is exact: a token is read from the cookie name the gateway sets (trimmed and URL-decoded, so
/// <c>s%41ccessToken</c> counts too). Stripping before forwarding is generous: a cookie whose name becomes one of
/// ours under any reading some server applies (case, quotes, percent-decoding, NUL truncation, <c>,</c> as a
/// separator) is taken out, because no token may reach an upstream whatever spelling a client chose.
/// </summary>
internal static class RequestTokens
{
    // Letters, digits, '-', '_' and '.': what most cookie names are made of (compared without decoding), and what
    // our tokens are made of (base64url parts and the dots between them).
    private static readonly SearchValues<char> PlainChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

    // Our token cookie names folded (lower case, '-' for '_' and '.'), as stripping compares them. The SDKs keep
    // header-mode tokens in script-readable st-access-token/st-refresh-token cookies, which browsers send along.
    private static readonly string[] FoldedTokenCookies = ["saccesstoken", "srefreshtoken", "st-access-token", "st-refresh-token"];

    // Longer cookie names are folded on the heap; no real name comes near.
    private const int StackFoldLimit = 256;

    // RFC 9110 token68, what a well-formed Bearer credential is made of.
    private static readonly SearchValues<char> Token68Chars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=");

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

    /// <summary>
    /// True when the request carries a session-token cookie (ours, or an SDK's header-mode copy) in any spelling
    /// that stripping recognises (see <see cref="IsTokenCookieName"/>).
    /// </summary>
    public static bool HasTokenCookie(IHeaderDictionary headers)
    {
        foreach (var header in headers[HeaderNames.Cookie])
        {
            var rest = header.AsSpan();
            while (NextPart(ref rest, out var part))
            {
                if (HasTokenCookieName(part))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// The request's cookies without session-token cookies, as one <c>Cookie</c> header value (null when none remain).
    /// A <c>;</c>-separated part is dropped whole when any name in it, also after a <c>,</c>, is a token cookie's.
    /// </summary>
    public static string? CookiesWithoutTokens(IHeaderDictionary headers) => CookiesWithoutTokens(headers, out _);

    /// <summary>
    /// As <see cref="CookiesWithoutTokens(IHeaderDictionary)"/>, in the same pass telling whether a token cookie was
    /// there (<see cref="HasTokenCookie"/>): the forwarding transform needs both, and each name check costs more than
    /// copying the parts.
    /// </summary>
    public static string? CookiesWithoutTokens(IHeaderDictionary headers, out bool hadTokenCookie)
    {
        hadTokenCookie = false;
        var cookies = headers[HeaderNames.Cookie];
        var bound = 0;
        foreach (var header in cookies)
        {
            // A kept part is never longer than its text, and "; " between parts adds at most one character to each
            // ';' it replaces (plus one between two headers).
            bound += 2 * ((header?.Length ?? 0) + 1);
        }

        // Every forwarded request with a session cookie comes through here: a pooled buffer and one string, not a
        // StringBuilder and its chunks.
        var buffer = ArrayPool<char>.Shared.Rent(bound);
        try
        {
            var length = 0;
            foreach (var header in cookies)
            {
                var rest = header.AsSpan();
                while (NextPart(ref rest, out var part))
                {
                    if (HasTokenCookieName(part))
                    {
                        hadTokenCookie = true;
                    }
                    else
                    {
                        if (length > 0)
                        {
                            buffer[length++] = ';';
                            buffer[length++] = ' ';
                        }

                        part.CopyTo(buffer.AsSpan(length));
                        length += part.Length;
                    }
                }
            }

            return length == 0 ? null : new string(buffer, 0, length);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// True when a cookie called <paramref name="name"/> could be read as one of the token cookies by some server:
    /// compared ignoring case (also Unicode case folding, as Java's <c>equalsIgnoreCase</c> does: <c>ſ</c> is
    /// <c>s</c>), with <c>_</c> and <c>.</c> as <c>-</c>, after percent-decoding (repeatedly), without quotes,
    /// whitespace, <c>+</c>, control and format characters, and also cut at a NUL (as C strings end there) or before
    /// a <c>[...]</c> (PHP's array cookies: <c>sAccessToken[]</c> is read as <c>$_COOKIE['sAccessToken'][0]</c>).
    /// Allocation-free for names made of letters, digits, <c>-</c>, <c>_</c> and <c>.</c>.
    /// </summary>
    internal static bool IsTokenCookieName(ReadOnlySpan<char> name)
    {
        if (!name.ContainsAnyExcept(PlainChars))
        {
            return IsFoldedTokenName(name);
        }

        ReadOnlySpan<char> decoded = name;
        if (name.Contains('%'))
        {
            // Decoded until stable (a few rounds: %2500 is %00 is NUL), as a chain of decoding servers would.
            var text = name.ToString();
            for (var round = 0; round < 4 && text.Contains('%'); round++)
            {
                var next = Uri.UnescapeDataString(text);
                if (next == text)
                {
                    break;
                }

                text = next;
            }

            decoded = text;
        }

        var nul = decoded.IndexOf('\0');
        if (IsFoldedTokenNameOf(decoded) || (nul >= 0 && IsFoldedTokenNameOf(decoded[..nul])))
        {
            return true;
        }

        // PHP reads "name[]" and "name[key]" as the array "name" (its first element is the value), so the name
        // before a bracket pair counts too.
        var bracket = decoded.IndexOf('[');
        return bracket > 0 && decoded[bracket..].Contains(']') && IsFoldedTokenNameOf(decoded[..bracket]);
    }

    /// <summary>The token of an <c>Authorization: Bearer</c> header, if there is exactly one.</summary>
    public static string? Bearer(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization;
        return authorization.Count == 1 ? ParseBearer(authorization[0]) : null;
    }

    /// <summary>
    /// The token of one <c>Authorization</c> value when it is exactly <c>Bearer</c> (any case), whitespace (spaces or
    /// tabs) and one token68 credential. Anything else (a comma, a quote, a second word) is not a plain bearer token;
    /// <see cref="NextTokenLike"/> finds tokens of ours hidden in such values.
    /// </summary>
    public static string? ParseBearer(string? value) => TryParseBearer(value, out var token) ? token.ToString() : null;

    /// <summary><see cref="ParseBearer"/> without a copy: <paramref name="token"/> is a view of <paramref name="value"/>.</summary>
    public static bool TryParseBearer(string? value, out ReadOnlySpan<char> token)
    {
        const string scheme = "Bearer";
        token = default;
        if (value is null || value.Length <= scheme.Length + 1 || !value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ||
            value[scheme.Length] is not (' ' or '\t'))
        {
            return false;
        }

        token = value.AsSpan(scheme.Length).Trim(" \t");
        return token.Length > 0 && !token.ContainsAnyExcept(Token68Chars);
    }

    /// <summary>
    /// Takes the next run of token characters (base64url and dots) that has the shape of one of our tokens off
    /// <paramref name="rest"/>: at least two dots (a JWT has two, a refresh token three). Used to find our tokens in
    /// any wrapping a client may put them in (another scheme, quotes, auth-params, comma-joined credentials).
    /// </summary>
    public static bool NextTokenLike(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> token)
    {
        while (true)
        {
            var start = rest.IndexOfAny(PlainChars);
            if (start < 0)
            {
                token = default;
                rest = default;
                return false;
            }

            rest = rest[start..];
            var end = rest.IndexOfAnyExcept(PlainChars);
            var run = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[end..];
            if (run.Count('.') >= 2)
            {
                token = run;
                return true;
            }
        }
    }

    /// <summary>The text inside an <c>Authorization: Basic</c> value, where a client could also have put a token; null otherwise.</summary>
    public static string? BasicCredentials(string? value)
    {
        const string scheme = "Basic";
        if (value is null || value.Length <= scheme.Length + 1 || !value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ||
            value[scheme.Length] is not (' ' or '\t'))
        {
            return null;
        }

        var encoded = value.AsSpan(scheme.Length).Trim(" \t");
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(encoded.Length)];
        return Convert.TryFromBase64Chars(encoded, bytes, out var written) ? Encoding.Latin1.GetString(bytes, 0, written) : null;
    }

    /// <summary>
    /// True when <paramref name="token"/> has the shape of our refresh tokens (<c>v1.</c> and three base64url parts).
    /// A shape, not a MAC check: for keeping tokens from upstreams, one that merely looks like ours is ours.
    /// </summary>
    public static bool LooksLikeRefreshToken(ReadOnlySpan<char> token) =>
        token.StartsWith("v1.", StringComparison.Ordinal) && token.Count('.') == 3 && !token.ContainsAnyExcept(PlainChars) &&
        !token.Contains("..", StringComparison.Ordinal) && token[^1] != '.';

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

    /// <summary>Takes the next non-empty <c>;</c>-separated part (trimmed) off <paramref name="rest"/>.</summary>
    private static bool NextPart(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> part)
    {
        while (rest.Length > 0)
        {
            var end = rest.IndexOf(';');
            part = (end < 0 ? rest : rest[..end]).Trim();
            rest = end < 0 ? default : rest[(end + 1)..];
            if (part.Length > 0)
            {
                return true;
            }
        }

        part = default;
        return false;
    }

    /// <summary>
    /// True when the cookie part <c>name=value</c> names a token cookie, also when servers that split cookies on
    /// <c>,</c> as well (old RFC 2109 parsers) would find one after a comma.
    /// </summary>
    private static bool HasTokenCookieName(ReadOnlySpan<char> part)
    {
        while (true)
        {
            var comma = part.IndexOf(',');
            var piece = comma < 0 ? part : part[..comma];
            var eq = piece.IndexOf('=');
            if (IsTokenCookieName((eq < 0 ? piece : piece[..eq]).Trim()))
            {
                return true;
            }

            if (comma < 0)
            {
                return false;
            }

            part = part[(comma + 1)..];
        }
    }

    private static bool IsFoldedTokenName(ReadOnlySpan<char> name)
    {
        foreach (var token in FoldedTokenCookies)
        {
            if (name.Length == token.Length && FoldedEquals(name, token))
            {
                return true;
            }
        }

        return false;
    }

    private static bool FoldedEquals(ReadOnlySpan<char> name, string folded)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            c = c is '_' or '.' ? '-' : char.IsAsciiLetterUpper(c) ? (char)(c | 0x20) : c;
            if (c != folded[i])
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsFoldedTokenNameOf(ReadOnlySpan<char> name)
    {
        var buffer = name.Length <= StackFoldLimit ? stackalloc char[StackFoldLimit] : new char[name.Length];
        return IsFoldedTokenName(buffer[..Fold(name, buffer)]);
    }

    /// <summary>
    /// Writes <paramref name="name"/> into <paramref name="folded"/> without what servers ignore or strip in a name
    /// (quotes, whitespace, <c>+</c>, control and format characters), with case folded the Unicode way; returns the
    /// length written. For the odd names only: plain ones are compared as they are.
    /// </summary>
    private static int Fold(ReadOnlySpan<char> name, Span<char> folded)
    {
        var length = 0;
        foreach (var c in name)
        {
            if (c is '"' or '\'' or '+' || char.IsWhiteSpace(c) || char.IsControl(c) ||
                char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format)
            {
                continue;
            }

            folded[length++] = c switch
            {
                '_' or '.' => '-',

                // Letters whose case partner is ASCII in Unicode's mappings (Java's equalsIgnoreCase, full case
                // folding) but which .NET's invariant casing keeps apart from ASCII.
                '\u017F' => 's',
                '\u212A' => 'k',
                '\u0130' or '\u0131' => 'i',
                _ => char.ToLowerInvariant(c),
            };
        }

        return length;
    }

    private static bool NameIs(ReadOnlySpan<char> name, string expected) =>
        name.SequenceEqual(expected) ||
        (name.Contains('%') && Uri.UnescapeDataString(name.ToString()).AsSpan().Trim().SequenceEqual(expected));
}
