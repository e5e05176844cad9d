using System.Globalization;
using System.Text;

namespace SessionGateway.Proxy;

/// <summary>
/// What a user id from an upstream's login header may hold. The id travels in HTTP headers (from the upstream, and
/// back to it in <c>X-User-Id</c>), in tokens and in logs, and must mean one user everywhere. HTTP itself gets in
/// the way of some characters: the HTTP client turns NUL, a bare CR and line folding into spaces (RFC 9110
/// section 5.5) and drops spaces and tabs at either end, before the gateway sees the value. So a space in an id
/// could be a NUL the upstream sent; ids with any whitespace, control or invisible formatting character are refused
/// rather than turned into somebody else's id.
/// </summary>
internal static class UserIds
{
    // An access token travels in a cookie (browsers keep at most 4 KB per cookie): ids are kept small enough.
    public const int MaxLength = 256;

    /// <summary>Why <paramref name="userId"/> cannot be a user id, or null when it can.</summary>
    public static string? Problem(string userId)
    {
        if (userId.Length == 0)
        {
            return "it is empty";
        }

        if (userId.Length > MaxLength)
        {
            return $"it is longer than {MaxLength} characters (UTF-16 code units)";
        }

        var index = 0;
        foreach (var rune in userId.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            if (rune == Rune.ReplacementChar || category is UnicodeCategory.Control or UnicodeCategory.Format or
                UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or
                UnicodeCategory.Surrogate)
            {
                // The code point, never the character: it may be a control character that would corrupt a log line.
                return $"it holds U+{rune.Value:X4} ({category}) at index {index}";
            }

            index += rune.Utf16SequenceLength;
        }

        return null;
    }
}
