namespace SessionGateway.Sessions;

/// <summary>A session as shown to its user or an admin (no hashes).</summary>
internal sealed record SessionInfo(
    string SessionHandle,
    string UserId,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? LastRefreshedAt,
    string CustomClaimsJson);
