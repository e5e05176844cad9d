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
            return target.Length > 1 && target[1] is '/' or '\\' ? null : target;
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
                return uri.AbsoluteUri;
            }
        }

        return null;
    }
}
