using SessionGateway.Keys;

namespace SessionGateway.Storage;

/// <summary>
/// A signing key as persisted. <see cref="PrivateKey"/> is the PKCS#8 private key as stored: sealed by
/// <see cref="KeyEncryption"/> when a key-encryption key is configured, else in clear. It is secret either way: this
/// type overrides ToString and the record printer so the key material can never end up in a log line.
/// </summary>
internal sealed record StoredSigningKey(
    string KeyId,
    SigningAlgorithm Algorithm,
    byte[] PrivateKey,
    DateTimeOffset CreatedAt,
    DateTimeOffset SignsFrom,
    DateTimeOffset SignsUntil,
    DateTimeOffset VerifyUntil)
{
    public override string ToString() =>
        $"StoredSigningKey {{ KeyId = {KeyId}, Algorithm = {Algorithm}, SignsFrom = {SignsFrom:O}, SignsUntil = {SignsUntil:O}, VerifyUntil = {VerifyUntil:O} }}";
}
