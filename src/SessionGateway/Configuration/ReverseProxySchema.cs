using Yarp.ReverseProxy.Configuration;

namespace SessionGateway.Configuration;

/// <summary>The shape of the <c>ReverseProxy</c> section: YARP's own schema, used to catch misspelt keys.</summary>
internal sealed record ReverseProxySchema
{
    public const string SectionName = "ReverseProxy";

    public IReadOnlyDictionary<string, RouteConfig> Routes { get; init; } = new Dictionary<string, RouteConfig>();

    public IReadOnlyDictionary<string, ClusterConfig> Clusters { get; init; } = new Dictionary<string, ClusterConfig>();
}
