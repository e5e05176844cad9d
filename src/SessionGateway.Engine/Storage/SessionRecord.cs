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
    DateTimeOffset CreatedAt);
