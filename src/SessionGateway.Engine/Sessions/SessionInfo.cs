using SessionGateway.Storage;

namespace SessionGateway.Sessions;

/// <summary>A session as shown to its user or an admin (no hashes, no anti-CSRF token).</summary>
internal sealed record SessionInfo(
    string SessionHandle,
    string UserId,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? LastRefreshedAt,
    string CustomClaimsJson)
{
    /// <summary>The client seen at login.</summary>
    public ClientInfo? CreatedBy { get; init; }

    /// <summary>The client seen at the last refresh.</summary>
    public ClientInfo? RefreshedBy { get; init; }
}
