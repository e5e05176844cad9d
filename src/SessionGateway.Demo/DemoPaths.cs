namespace SessionGateway.Demo;

/// <summary>Where the demo finds its pieces.</summary>
internal static class DemoPaths
{
    /// <summary>The address the committed proxy.yaml forwards to.</summary>
    public const string DefaultUpstreamUrl = "http://127.0.0.1:5080";

    /// <summary>
    /// Where the legacy app listens: <see cref="DefaultUpstreamUrl"/>, or <c>SESSIONGATEWAY_DEMO_UPSTREAM</c> (the browser
    /// tests run the demo on free ports, the gateway's destination moved with <c>--ReverseProxy:Clusters:...</c>).
    /// </summary>
    public static string UpstreamUrl =>
        Environment.GetEnvironmentVariable("SESSIONGATEWAY_DEMO_UPSTREAM") is { Length: > 0 } url ? url : DefaultUpstreamUrl;

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
