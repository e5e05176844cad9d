using SessionGateway.Keys;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Tokens;

internal sealed class StoredSigningKeyBuilder(SigningAlgorithm algorithm, string keyId)
{
    public StoredSigningKey Build()
    {
        var now = DateTimeOffset.UnixEpoch;
        return new StoredSigningKey(keyId, algorithm, SigningKey.GeneratePrivateKeyPkcs8(algorithm), now, now, now.AddYears(100), now.AddYears(100));
    }
}
