namespace SessionGateway.Demo;

/// <summary>Where the demo finds its pieces.</summary>
internal static class DemoPaths
{
    /// <summary>The address the committed proxy.yaml forwards to.</summary>
    public const string UpstreamUrl = "http://127.0.0.1:5080";

    /// <summary>proxy.yaml in the working directory, else the one at the root of the repository.</summary>
    public static string FindProxyYaml()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "proxy.yaml");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return "proxy.yaml";
    }
}
