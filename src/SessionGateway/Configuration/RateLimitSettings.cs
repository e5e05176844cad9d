namespace SessionGateway.Configuration;

/// <summary>
/// Requests per client address on the gateway's refresh endpoint and on login routes (<c>Session:RateLimits</c>).
/// On by default with numbers no person reaches; read at start.
/// </summary>
internal sealed record RateLimitSettings
{
    /// <summary>
    /// <c>POST {RefreshPath}</c>. A client refreshes once per access-token lifetime, so 60 a minute from one address
    /// still serves hundreds of active users behind one NAT; a client looping on refresh, or a flood of writes to the
    /// store, is stopped.
    /// </summary>
    public RateLimitRule Refresh { get; set; } = new() { PermitLimit = 60 };

    /// <summary>
    /// Routes with metadata <c>SessionLogin: "true"</c> or <c>"form"</c>, whatever their answer: 20 attempts a minute from one address
    /// is more than any person types, and slows password guessing and credential stuffing from that address.
    /// </summary>
    public RateLimitRule Login { get; set; } = new() { PermitLimit = 20 };

    public bool AnyEnabled => Refresh.Enabled || Login.Enabled;
}
