namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>What the replicas of a <see cref="GatewayReplicas"/> share in their proxy.yaml and environment.</summary>
internal sealed record ReplicaOptions
{
    /// <summary><c>Session:Store:Provider</c>: <c>postgres</c> or <c>sqlite</c>.</summary>
    public string Provider { get; init; } = "postgres";

    /// <summary>
    /// The store's connection string, given as environment variable <c>Session__Store__ConnectionString</c> (as a
    /// container would get it). Null with SQLite: the default <c>sessions.db</c> next to proxy.yaml.
    /// </summary>
    public string? ConnectionString { get; init; }

    /// <summary><c>Session:RefreshGracePeriod</c>.</summary>
    public string RefreshGracePeriod { get; init; } = "30s";
}
