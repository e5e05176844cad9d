using System.Security.Cryptography;
using SessionGateway.Keys;
using SessionGateway.Sessions;

namespace SessionGateway.Tests.Engine.Keys;

/// <summary>
/// Signing keys and the refresh-token secret encrypted at rest with a key-encryption key (KEK). Rows are read past
/// the store, on a plain connection, as someone holding a copy of the database would. One subclass per backend.
/// </summary>
public abstract class SecretsAtRestTests
{
    private const string SecretPurpose = "secret:" + SessionEngine.RefreshSecretName;
    private static readonly CancellationToken Ct = CancellationToken.None;

    private protected abstract TestBackend Backend { get; }

    private static byte[] NewKek() => RandomNumberGenerator.GetBytes(KeyEncryption.KeyLength);

    private static async Task<List<(string KeyId, string Algorithm, byte[] PrivateKey)>> RawKeysAsync(EngineHarness harness) =>
        await harness.Database.QueryRawAsync<(string, string, byte[])>("SELECT kid, algorithm, private_key FROM signing_keys ORDER BY kid");

    private static async Task<byte[]> RawSecretAsync(EngineHarness harness) =>
        Assert.Single(await harness.Database.QueryRawAsync<byte[]>(
            "SELECT value FROM secrets WHERE name = @Name", new { Name = SessionEngine.RefreshSecretName }));

    private static string Describe((string KeyId, string Algorithm, byte[] PrivateKey) row) =>
        $"{row.KeyId} {row.Algorithm} {Convert.ToHexString(row.PrivateKey)}";

    private static string Purpose((string KeyId, string Algorithm, byte[] PrivateKey) row) =>
        SigningKeyRing.Purpose(row.KeyId, Enum.Parse<SigningAlgorithm>(row.Algorithm));

    [SkippableFact]
    public async Task WithKek_StoredPrivateKeysAndSecret_AreNotTheKeysThemselves()
    {
        var kek = new KeyEncryption(NewKek(), []);
        using var harness = await EngineHarness.StartAsync(backend: Backend, keyEncryption: kek);

        var keys = await RawKeysAsync(harness);
        Assert.Equal(2, keys.Count); // current and next
        foreach (var row in keys)
        {
            using var ecdsa = ECDsa.Create();
            Assert.ThrowsAny<CryptographicException>(() => ecdsa.ImportPkcs8PrivateKey(row.PrivateKey, out _));
            var pkcs8 = kek.Open(row.PrivateKey, Purpose(row)).Plaintext!;
            ecdsa.ImportPkcs8PrivateKey(pkcs8, out _); // what the KEK unlocks is the real key
            Assert.Equal(-1, row.PrivateKey.AsSpan().IndexOf(pkcs8));
        }

        var secret = await RawSecretAsync(harness);
        var opened = kek.Open(secret, SecretPurpose);
        Assert.Equal(SealState.Current, opened.State);
        Assert.Equal(32, opened.Plaintext!.Length);
        Assert.Equal(-1, secret.AsSpan().IndexOf(opened.Plaintext));

        var created = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.True(harness.Engine.VerifyAccessToken(created.AccessToken).IsValid);
        Assert.Equal(RefreshOutcomeKind.Success, (await harness.Engine.RefreshAsync(created.RefreshToken, Ct)).Kind);
    }

    [SkippableFact]
    public async Task CopyOfAnEncryptedStore_WithoutTheKek_DoesNotStart()
    {
        using var original = await EngineHarness.StartAsync(backend: Backend, keyEncryption: new KeyEncryption(NewKek(), []));
        var keysBefore = await RawKeysAsync(original);

        var refused = await Assert.ThrowsAsync<KeyEncryptionException>(
            () => EngineHarness.StartAsync(sharedDatabase: original.Database, time: original.Time));

        Assert.StartsWith("Session:KeyEncryption: the refresh-token secret in the session store is encrypted", refused.Message, StringComparison.Ordinal);
        Assert.Contains("no key-encryption key is configured", refused.Message, StringComparison.Ordinal);
        // Nothing written, not even a clear key.
        Assert.Equal(keysBefore.Select(Describe), (await RawKeysAsync(original)).Select(Describe));
    }

    [SkippableFact]
    public async Task CopyOfAnEncryptedStore_WithAnotherKek_DoesNotStart()
    {
        var kek = new KeyEncryption(NewKek(), []);
        using var original = await EngineHarness.StartAsync(backend: Backend, keyEncryption: kek);
        var other = new KeyEncryption(NewKek(), []);

        var refused = await Assert.ThrowsAsync<KeyEncryptionException>(
            () => EngineHarness.StartAsync(sharedDatabase: original.Database, time: original.Time, keyEncryption: other));

        Assert.Contains($"encrypted with key-encryption key id {kek.CurrentKeyId}, which is not the configured key (id {other.CurrentKeyId})", refused.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task SealedKey_CopiedIntoAnotherKeysRow_DoesNotDecrypt()
    {
        var kek = new KeyEncryption(NewKek(), []);
        using var harness = await EngineHarness.StartAsync(backend: Backend, keyEncryption: kek);
        var keys = await RawKeysAsync(harness);
        await harness.Database.ExecuteRawAsync(
            "UPDATE signing_keys SET private_key = @PrivateKey WHERE kid = @KeyId", new { keys[0].PrivateKey, keys[1].KeyId });

        var refused = await Assert.ThrowsAsync<KeyEncryptionException>(() => harness.Keys.RefreshAsync(Ct));

        Assert.Contains($"signing key {keys[1].KeyId}", refused.Message, StringComparison.Ordinal);
        Assert.Contains("altered or copied from another row", refused.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ClearStore_IsEncryptedInPlaceWhenReplicasStartWithAKek_AndItsSessionsStayValid()
    {
        using var legacy = await EngineHarness.StartAsync(backend: Backend);
        var issued = await legacy.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var clearSecret = await RawSecretAsync(legacy);
        var clearKeys = await RawKeysAsync(legacy);
        Assert.Equal(32, clearSecret.Length);

        // Two replicas start with the KEK at once, as a rollout does: both migrate, one wins each swap.
        var kek = new KeyEncryption(NewKek(), []);
        var started = await Task.WhenAll(
            EngineHarness.StartAsync(sharedDatabase: legacy.Database, time: legacy.Time, keyEncryption: kek),
            EngineHarness.StartAsync(sharedDatabase: legacy.Database, time: legacy.Time, keyEncryption: kek));
        using var a = started[0];
        using var b = started[1];

        var secret = await RawSecretAsync(legacy);
        var openedSecret = kek.Open(secret, SecretPurpose);
        Assert.Equal(SealState.Current, openedSecret.State);
        Assert.Equal(clearSecret, openedSecret.Plaintext);
        var keys = await RawKeysAsync(legacy);
        Assert.Equal(clearKeys.Select(k => k.KeyId), keys.Select(k => k.KeyId));
        for (var i = 0; i < keys.Count; i++)
        {
            var opened = kek.Open(keys[i].PrivateKey, Purpose(keys[i]));
            Assert.Equal(SealState.Current, opened.State);
            Assert.Equal(clearKeys[i].PrivateKey, opened.Plaintext);
        }

        // Tokens issued before the migration: the access token verifies, the refresh token rotates, on both.
        Assert.True(a.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
        Assert.True(b.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
        var rotated = await a.Engine.RefreshAsync(issued.RefreshToken, Ct);
        Assert.Equal(RefreshOutcomeKind.Success, rotated.Kind);
        Assert.Equal(RefreshOutcomeKind.Success, (await b.Engine.RefreshAsync(rotated.Session!.RefreshToken, Ct)).Kind);

        // And from now on the store needs the KEK.
        await Assert.ThrowsAsync<KeyEncryptionException>(() => EngineHarness.StartAsync(sharedDatabase: legacy.Database, time: legacy.Time));
    }

    [SkippableFact]
    public async Task KekRotation_ValuesUnderThePreviousKek_AreReencryptedWithTheNewOne()
    {
        var oldKek = NewKek();
        var newKek = NewKek();
        using var before = await EngineHarness.StartAsync(backend: Backend, keyEncryption: new KeyEncryption(oldKek, []));
        var issued = await before.Engine.CreateLiveAsync("user-1", null, false, Ct);

        using var during = await EngineHarness.StartAsync(
            sharedDatabase: before.Database, time: before.Time, keyEncryption: new KeyEncryption(newKek, [oldKek]));

        var onlyNew = new KeyEncryption(newKek, []);
        Assert.Equal(SealState.Current, onlyNew.Open(await RawSecretAsync(before), SecretPurpose).State);
        Assert.All(await RawKeysAsync(before), row => Assert.Equal(SealState.Current, onlyNew.Open(row.PrivateKey, Purpose(row)).State));
        using var after = await EngineHarness.StartAsync(sharedDatabase: before.Database, time: before.Time, keyEncryption: onlyNew);
        Assert.True(after.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
        Assert.Equal(RefreshOutcomeKind.Success, (await after.Engine.RefreshAsync(issued.RefreshToken, Ct)).Kind);
    }
}
