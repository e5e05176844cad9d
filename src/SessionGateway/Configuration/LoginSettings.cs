namespace SessionGateway.Configuration;

/// <summary>
/// How an upstream asks for a session: on a route with metadata <c>SessionLogin: "true"</c>, a response carrying
/// <see cref="CreateHeader"/> creates one. The headers never reach the client.
/// </summary>
internal sealed record LoginSettings
{
    public const string RouteMetadataKey = "SessionLogin";

    public string CreateHeader { get; init; } = "X-Session-Create";

    /// <summary>Optional JSON object of custom claims for the new session.</summary>
    public string ClaimsHeader { get; init; } = "X-Session-Claims";
}
