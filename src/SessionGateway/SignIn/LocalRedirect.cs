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

    /// <summary><paramref name="target"/> when it is local, else null.</summary>
    public static string? OrNull(string? target) => IsLocal(target) ? target : null;
}
