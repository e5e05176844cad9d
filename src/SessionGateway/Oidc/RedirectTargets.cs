using System.Text;

namespace SessionGateway.Oidc;

/// <summary>
/// Where a login may send the browser afterwards: a local path (<c>/x</c>) or a URL on an origin listed in
/// <c>Session:Cors:AllowedOrigins</c>. Anything else would make the gateway an open redirect (a link to the real
/// sign-in page that lands on a phishing site), so it is refused.
/// </summary>
internal static class RedirectTargets
{
    /// <summary>The target to send the browser to, or null when <paramref name="target"/> is not allowed.</summary>
    public static string? Resolve(string? target, IReadOnlyList<string> allowedOrigins)
    {
        if (string.IsNullOrEmpty(target))
        {
            return "/";
        }

        foreach (var c in target)
        {
            // Browsers drop tabs and line breaks from URLs ("/\t/evil.example" is "//evil.example") and read '\' as '/'.
            if (char.IsControl(c) || char.IsWhiteSpace(c))
            {
                return null;
            }
        }

        if (target[0] == '/')
        {
            // "//host" and "/\host" are network-path references: another host.
            return target.Length > 1 && target[1] is '/' or '\\' ? null : EscapeNonAscii(target);
        }

        if (!Uri.TryCreate(target, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") ||
            uri.UserInfo.Length > 0 || target.Contains('\\', StringComparison.Ordinal))
        {
            return null;
        }

        var origin = uri.GetLeftPart(UriPartial.Authority);
        foreach (var allowed in allowedOrigins)
        {
            if (string.Equals(allowed, origin, StringComparison.OrdinalIgnoreCase))
            {
                return EscapeNonAscii(uri.AbsoluteUri);
            }
        }

        return null;
    }

    /// <summary>
    /// The target with every non-ASCII character percent-encoded as UTF-8 (what a browser sends for it), or null for
    /// a lone surrogate. It goes into a <c>Location</c> header, and Kestrel refuses a non-ASCII header value: the
    /// response would fail with a 500 (or, after a login, after the session was made).
    /// </summary>
    private static string? EscapeNonAscii(string target)
    {
        if (Ascii.IsValid(target))
        {
            return target;
        }

        var escaped = new StringBuilder(target.Length * 3);
        Span<byte> utf8 = stackalloc byte[4];
        var rest = target.AsSpan();
        while (!rest.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(rest, out var rune, out var used) != System.Buffers.OperationStatus.Done)
            {
                return null;
            }

            if (rune.IsAscii)
            {
                escaped.Append((char)rune.Value);
            }
            else
            {
                var length = rune.EncodeToUtf8(utf8);
                foreach (var b in utf8[..length])
                {
                    escaped.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }

            rest = rest[used..];
        }

        return escaped.ToString();
    }
}
