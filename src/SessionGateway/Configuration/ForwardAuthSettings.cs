namespace SessionGateway.Configuration;

/// <summary>
/// Forward-auth (<c>Session:ForwardAuth</c>): a decision endpoint that an ingress in front (nginx <c>auth_request</c>,
/// Traefik <c>ForwardAuth</c>, Caddy <c>forward_auth</c>, Envoy <c>ext_authz</c>) asks about each request, instead of
/// the gateway forwarding it. Read at start.
/// </summary>
internal sealed record ForwardAuthSettings
{
    /// <summary>The decision path, for example <c>/api/verify</c>; also the prefix of Envoy's checks. Unset: off.</summary>
    public string? Path { get; set; }

    /// <summary>
    /// Addresses (CIDR, or one address) whose <c>X-Original-*</c> and <c>X-Forwarded-*</c> headers are believed. Unset:
    /// loopback only (<see cref="DefaultTrustedProxies"/>).
    /// </summary>
    public IReadOnlyList<string>? TrustedProxies { get; set; }

    /// <summary>Loopback, IPv4 and IPv6: an ingress in the same pod or on the same host.</summary>
    public static readonly IReadOnlyList<string> DefaultTrustedProxies = ["127.0.0.0/8", "::1/128"];

    /// <summary>True when a decision path is configured.</summary>
    public bool Enabled => !string.IsNullOrWhiteSpace(Path);

    /// <summary>The trusted proxies in force: the configured ones, or loopback.</summary>
    public IReadOnlyList<string> EffectiveTrustedProxies => TrustedProxies ?? DefaultTrustedProxies;
}
