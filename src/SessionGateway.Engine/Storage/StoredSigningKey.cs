using SessionGateway.Keys;

namespace SessionGateway.Storage;

/// <summary>
/// A signing key as persisted. <see cref="PrivateKeyPkcs8"/> is secret: this type overrides ToString and
/// the record printer so the key material can never end up in a log line.
/// </summary>
internal sealed record StoredSigningKey(
    string KeyId,
    SigningAlgorithm Algorithm,
    byte[] PrivateKeyPkcs8,
    DateTimeOffset CreatedAt,
    DateTimeOffset SignsFrom,
    DateTimeOffset SignsUntil,
    DateTimeOffset VerifyUntil)
{
    public override string ToString() =>
        $"StoredSigningKey {{ KeyId = {KeyId}, Algorithm = {Algorithm}, SignsFrom = {SignsFrom:O}, SignsUntil = {SignsUntil:O}, VerifyUntil = {VerifyUntil:O} }}";
}
