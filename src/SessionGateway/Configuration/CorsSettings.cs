namespace SessionGateway.Configuration;

/// <summary>CORS for single-page apps served from another origin than the gateway.</summary>
internal sealed record CorsSettings
{
    /// <summary>Exact origins (<c>https://app.example.com</c>) allowed to call with credentials. Empty: CORS off.</summary>
    public IReadOnlyList<string> AllowedOrigins { get; set; } = [];

    /// <summary>Request headers allowed besides the session protocol's own and <c>content-type</c>.</summary>
    public IReadOnlyList<string> AllowedHeaders { get; set; } = [];
}
