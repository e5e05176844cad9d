namespace SessionGateway.SignIn;

/// <summary>
/// Where a sign-in may send the browser afterwards: a path on this site only. Anything else (another origin, a
/// scheme-relative <c>//host</c>, a backslash that browsers read as a slash) would make the sign-in page an open
/// redirect for phishing links.
/// </summary>
internal static class LocalRedirect
{
    private const int MaxLength = 2048;

    /// <summary>True for a path such as <c>/app?x=1</c>: one leading slash, no backslash, no control character.</summary>
    public static bool IsLocal(string? target)
    {
        if (string.IsNullOrEmpty(target) || target.Length > MaxLength || target[0] != '/' ||
            (target.Length > 1 && target[1] is '/' or '\\'))
        {
            return false;
        }

        foreach (var c in target)
        {
            // Browsers drop tabs and newlines from URLs ("/\t/evil" is "//evil") and read '\' as '/'.
            if (c is '\\' || char.IsControl(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// <paramref name="target"/> when it is local, else null; characters past ASCII percent-encoded as UTF-8 (a
    /// <c>Location</c> header carries ASCII only: Kestrel refuses anything else, which was a 500 after the session
    /// had been made).
    /// </summary>
    public static string? OrNull(string? target) => IsLocal(target) ? AsciiOnly(target!) : null;

    internal static string AsciiOnly(string target)
    {
        if (!target.Any(c => c > '~'))
        {
            return target;
        }

        var text = new System.Text.StringBuilder(target.Length * 3);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in target.EnumerateRunes())
        {
            if (rune.Value <= '~')
            {
                text.Append((char)rune.Value);
                continue;
            }

            var length = rune.EncodeToUtf8(utf8);
            foreach (var b in utf8[..length])
            {
                text.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }
}
