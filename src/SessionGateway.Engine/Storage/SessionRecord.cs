namespace SessionGateway.Storage;

/// <summary>One session row. Hashes are hex(sha256(hex(sha256(refresh token)))); never the tokens themselves.</summary>
internal sealed record SessionRecord(
    string Handle,
    string UserId,
    string CustomClaimsJson,
    string? AntiCsrfToken,
    string CurrentHash,
    string? PreviousHash,
    DateTimeOffset? RotatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset CreatedAt)
{
    /// <summary>The client seen at login (null when unknown).</summary>
    public ClientInfo? CreatedBy { get; init; }

    /// <summary>The client seen at the last refresh (null before the first one, or when unknown).</summary>
    public ClientInfo? RefreshedBy { get; init; }
}
