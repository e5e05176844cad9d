namespace SessionGateway.Configuration;

/// <summary>
/// The management listener (<c>Session:Management</c>): <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> on a port
/// of their own, and the graceful drain at shutdown. Read at start.
/// </summary>
internal sealed record ManagementSettings
{
    /// <summary>
    /// Listen addresses separated by <c>;</c> as in <c>Urls</c>, for example <c>http://0.0.0.0:9090</c>; all on one port,
    /// which no traffic address uses. Unset: no management listener (and no drain delay).
    /// </summary>
    public string? Urls { get; set; }

    /// <summary>
    /// How long the gateway keeps serving after SIGTERM, with <c>/readyz</c> answering 503, before its listeners stop
    /// (so a load balancer or Kubernetes takes it out of rotation first). Part of the host's shutdown timeout.
    /// </summary>
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>True when a management listener is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Urls);
}
