using SessionGateway.Keys;

namespace SessionGateway.Tokens;

/// <summary>
/// An access token whose signature, key and issuer checked out. Parsed once and cached; expiry and
/// revocation are re-checked on every use. <see cref="PayloadJson"/> is the exact payload text, for the
/// <c>front-token</c> header; <see cref="CustomClaims"/> holds string claims as-is and others as JSON text.
/// </summary>
internal sealed record VerifiedAccessToken(
    string UserId,
    string SessionHandle,
    DateTimeOffset IssuedAt,
    DateTimeOffset Expires,
    string? AntiCsrfToken,
    string RefreshTokenHash1,
    string PayloadJson,
    IReadOnlyDictionary<string, string> CustomClaims)
{
    internal SigningKey? Key { get; init; }
}
