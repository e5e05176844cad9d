using System.Buffers;
using SessionGateway.Configuration;

namespace SessionGateway.Requests;

/// <summary>
/// The path rules of <c>Session:Paths</c>, applied to the path Kestrel decoded. Kestrel has already
/// percent-decoded everything but <c>%2F</c> (so <c>%2e</c>, <c>%3B</c> and <c>%5C</c> arrive as <c>.</c>, <c>;</c>
/// and <c>\</c>) and resolved <c>.</c> and <c>..</c> segments; what is left are the spellings that the gateway's
/// router and an upstream could still read differently. After these rules, the path the router sees is the path
/// YARP forwards (it re-encodes <c>Request.Path</c>, escaping <c>%</c>, so the upstream decodes it to the same text).
/// </summary>
internal static class RequestPaths
{
    // Characters that need a second look. '/' is found separately, as "//".
    private static readonly SearchValues<char> Suspicious = SearchValues.Create("\\;%");

    /// <summary>Applies the rules to <paramref name="path"/>; allocation-free when there is nothing to do.</summary>
    public static PathVerdict Normalise(string? path, PathSettings settings)
    {
        if (string.IsNullOrEmpty(path))
        {
            return PathVerdict.Unchanged;
        }

        var span = path.AsSpan();
        var suspicious = span.ContainsAny(Suspicious);
        var doubleSlash = settings.MergeSlashes && span.Contains("//", StringComparison.Ordinal);
        if (!suspicious && !doubleSlash)
        {
            return PathVerdict.Unchanged;
        }

        if (settings.Backslashes == AmbiguousPathAction.Reject && span.Contains('\\'))
        {
            return PathVerdict.Refused(PathRefusal.Backslash);
        }

        if (settings.PathParameters == AmbiguousPathAction.Reject && span.Contains(';'))
        {
            return PathVerdict.Refused(PathRefusal.PathParameter);
        }

        var result = path;
        if (span.Contains("%2F", StringComparison.OrdinalIgnoreCase))
        {
            switch (settings.EscapedSlashes)
            {
                case EscapedSlashAction.Reject:
                    return PathVerdict.Refused(PathRefusal.EscapedSlash);
                case EscapedSlashAction.Unescape:
                    // New separators can form new dot segments ("..%2F" is "../"): resolve them as Kestrel did the others.
                    result = RemoveDotSegments(result.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase));
                    break;
            }
        }

        if (settings.MergeSlashes && result.Contains("//", StringComparison.Ordinal))
        {
            result = MergeSlashes(result);
        }

        return ReferenceEquals(result, path) ? PathVerdict.Unchanged : PathVerdict.Normalised(result);
    }

    /// <summary>RFC 3986 section 5.2.4 on an absolute path: <c>.</c> segments go, <c>..</c> removes the segment before it.</summary>
    internal static string RemoveDotSegments(string path)
    {
        var segments = path.Split('/');
        var output = new List<string>(segments.Length);

        // segments[0] is the empty text before the leading '/'.
        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            if (segment is "." or "..")
            {
                if (segment == ".." && output.Count > 0)
                {
                    output.RemoveAt(output.Count - 1);
                }

                if (last)
                {
                    // "/a/b/.." is "/a/": the directory, with its trailing slash.
                    output.Add("");
                }

                continue;
            }

            output.Add(segment);
        }

        return "/" + string.Join('/', output);
    }

    private static string MergeSlashes(string path)
    {
        var merged = new char[path.Length];
        var length = 0;
        foreach (var c in path)
        {
            if (c != '/' || length == 0 || merged[length - 1] != '/')
            {
                merged[length++] = c;
            }
        }

        return new string(merged, 0, length);
    }
}
