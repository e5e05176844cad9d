using Microsoft.AspNetCore.Http.Features;

namespace SessionGateway.Admin;

/// <summary>
/// A user id or session handle from an admin path, decoded exactly once. Kestrel decodes the request path except
/// <c>%2F</c> (so that an encoded slash never splits a segment), and routing hands the segment on as it is: a user id
/// <c>a/b</c> sent as <c>a%2Fb</c> would arrive as <c>a%2Fb</c>, and one sent as <c>a%252Fb</c> (the id <c>a%2Fb</c>)
/// too. The request target as the client sent it has no such ambiguity, so the value is read from there.
/// </summary>
internal static class AdminPathValue
{
    /// <summary>
    /// Segment <paramref name="index"/> (0 is the one before the first <c>/</c>) of the request target, percent-decoded;
    /// null when the target does not line up with the routed path (dot segments, an unusual form): the caller refuses.
    /// </summary>
    public static string? Read(HttpContext context, int index)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        if (!raw.StartsWith('/'))
        {
            // The absolute form (http://host/path) a proxy-style client may send: the path starts after the authority.
            var scheme = raw.IndexOf("://", StringComparison.Ordinal);
            var slash = scheme < 0 ? -1 : raw.IndexOf('/', scheme + 3);
            if (slash < 0)
            {
                return null;
            }

            raw = raw[slash..];
        }

        var end = raw.IndexOfAny(['?', '#']);
        var rawSegments = (end < 0 ? raw : raw[..end]).Split('/');
        var routedSegments = (context.Request.Path.Value ?? "").Split('/');
        if (rawSegments.Length != routedSegments.Length || index >= rawSegments.Length)
        {
            return null;
        }

        for (var i = 0; i < rawSegments.Length; i++)
        {
            if (!string.Equals(AsKestrelDecodes(rawSegments[i]), routedSegments[i], StringComparison.Ordinal))
            {
                return null;
            }
        }

        return Uri.UnescapeDataString(rawSegments[index]);
    }

    /// <summary>A raw segment decoded as Kestrel decodes the path: everything but <c>%2F</c>.</summary>
    private static string AsKestrelDecodes(string segment)
    {
        var slash = segment.IndexOf("%2F", StringComparison.OrdinalIgnoreCase);
        if (slash < 0)
        {
            return Uri.UnescapeDataString(segment);
        }

        return string.Concat(Uri.UnescapeDataString(segment[..slash]), segment.AsSpan(slash, 3), AsKestrelDecodes(segment[(slash + 3)..]));
    }
}
