namespace SessionGateway.Transport;

/// <summary>How tokens travel between the gateway and a client.</summary>
internal enum TokenTransfer
{
    /// <summary>HttpOnly cookies (browsers).</summary>
    Cookie,

    /// <summary><c>st-access-token</c>/<c>st-refresh-token</c> response headers, <c>Authorization: Bearer</c> requests.</summary>
    Header,
}
