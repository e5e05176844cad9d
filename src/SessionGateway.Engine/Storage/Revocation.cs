namespace SessionGateway.Storage;

/// <summary>A revoked session whose access tokens must be refused until <see cref="RefuseUntil"/> (their last possible expiry).</summary>
internal sealed record Revocation(string SessionHandle, DateTimeOffset RefuseUntil);
