namespace SessionGateway.Configuration;

/// <summary>
/// A parsed proxy.yaml flattened to configuration keys (<c>ReverseProxy:Routes:web:ClusterId</c>), with the
/// place each key was written so that every later problem can name file, line and column.
/// </summary>
internal sealed record YamlDocument(
    string Path,
    IReadOnlyDictionary<string, string?> Data,
    IReadOnlyDictionary<string, ConfigLocation> Locations)
{
    /// <summary>The location of <paramref name="key"/>, or of its nearest ancestor written in the file.</summary>
    public ConfigLocation? Locate(string key)
    {
        var probe = key;
        while (probe.Length > 0)
        {
            if (Locations.TryGetValue(probe, out var location))
            {
                return location;
            }

            var cut = probe.LastIndexOf(':');
            if (cut < 0)
            {
                break;
            }

            probe = probe[..cut];
        }

        return null;
    }
}
