namespace SessionGateway.ForwardAuth;

/// <summary>Header names of the forward-auth contract (docs/forward-auth.md).</summary>
internal static class ForwardAuthHeaders
{
    public const string OriginalUrl = "X-Original-URL";
    public const string OriginalUri = "X-Original-URI";
    public const string OriginalMethod = "X-Original-Method";
    public const string ForwardedUri = "X-Forwarded-Uri";
    public const string ForwardedMethod = "X-Forwarded-Method";
    public const string ForwardedHost = "X-Forwarded-Host";
    public const string ForwardedProto = "X-Forwarded-Proto";

    /// <summary>On an nginx-shaped refusal: the status the client is to get (the answer itself is 401).</summary>
    public const string Status = "X-Session-Status";

    /// <summary>On an nginx-shaped refusal: the JSON body the client is to get.</summary>
    public const string Body = "X-Session-Body";

    /// <summary>Envoy's list of request headers to remove before the request goes upstream.</summary>
    public const string EnvoyHeadersToRemove = "x-envoy-auth-headers-to-remove";
}
