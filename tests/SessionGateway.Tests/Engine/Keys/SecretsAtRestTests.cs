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
    private protected static readonly CancellationToken Ct = CancellationToken.None;

    private protected abstract TestBackend Backend { get; }

    private protected static byte[] NewKek() => RandomNumberGenerator.GetBytes(KeyEncryption.KeyLength);

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

    /// <summary>Inserts a signing key in clear, as someone who can write the store but has no KEK would.</summary>
    private static async Task PlantClearKeyAsync(EngineHarness harness, string keyId, byte[] pkcs8)
    {
        var now = harness.Time.GetUtcNow();
        object At(DateTimeOffset t) => harness.Database.Backend == TestBackend.Sqlite ? t.ToUnixTimeMilliseconds() : t;
        await harness.Database.ExecuteRawAsync(
            "INSERT INTO signing_keys (kid, algorithm, private_key, created_at, signs_from, signs_until, verify_until) " +
            "VALUES (@KeyId, 'ES256', @PrivateKey, @CreatedAt, @SignsFrom, @SignsUntil, @VerifyUntil)",
            new
            {
                KeyId = keyId,
                PrivateKey = pkcs8,
                CreatedAt = At(now),
                SignsFrom = At(now - TimeSpan.FromMinutes(1)),
                SignsUntil = At(now + TimeSpan.FromHours(1)),
                VerifyUntil = At(now + TimeSpan.FromHours(2)),
            });
    }

    private static byte[] AttackerKey()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return ecdsa.ExportPkcs8PrivateKey();
    }

    [SkippableFact]
    public async Task WithKek_AClearSigningKeyPlantedInTheStore_StopsTheStart()
    {
        var kek = new KeyEncryption(NewKek(), []);
        using var original = await EngineHarness.StartAsync(backend: Backend, keyEncryption: kek);
        await PlantClearKeyAsync(original, "attacker", AttackerKey());

        var refused = await Assert.ThrowsAsync<KeyEncryptionException>(
            () => EngineHarness.StartAsync(sharedDatabase: original.Database, time: original.Time, keyEncryption: kek));

        Assert.Contains("signing key attacker in the session store is in clear", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Session:KeyEncryption:MigrateClearValues", refused.Message, StringComparison.Ordinal);
        // Not sealed either: the planted row is left as it was, for the operator to look at.
        var planted = Assert.Single(await RawKeysAsync(original), row => row.KeyId == "attacker");
        Assert.False(KeyEncryption.IsSealed(planted.PrivateKey));
    }

    [SkippableFact]
    public async Task WithKek_AClearSigningKeyPlantedWhileRunning_IsRefusedAtTheReload()
    {
        var kek = new KeyEncryption(NewKek(), []);
        using var harness = await EngineHarness.StartAsync(backend: Backend, keyEncryption: kek);
        await PlantClearKeyAsync(harness, "attacker", AttackerKey());

        await Assert.ThrowsAsync<KeyEncryptionException>(() => harness.Keys.RefreshAsync(Ct));

        Assert.False(harness.Keys.TryGetVerificationKey("attacker", harness.Time.GetUtcNow(), out _));
        Assert.DoesNotContain("attacker", harness.Engine.JwksJson, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task WithKek_AClearRefreshTokenSecretPlantedInTheStore_StopsTheStart()
    {
        var kek = new KeyEncryption(NewKek(), []);
        using var original = await EngineHarness.StartAsync(backend: Backend, keyEncryption: kek);
        await original.Database.ExecuteRawAsync(
            "UPDATE secrets SET value = @Value WHERE name = @Name", new { Value = new byte[32], Name = SessionEngine.RefreshSecretName });

        var refused = await Assert.ThrowsAsync<KeyEncryptionException>(
            () => EngineHarness.StartAsync(sharedDatabase: original.Database, time: original.Time, keyEncryption: kek));

        Assert.Contains("refresh-token secret in the session store is in clear", refused.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task ClearStore_WithAKekButWithoutTheMigrationSwitch_DoesNotStart()
    {
        using var legacy = await EngineHarness.StartAsync(backend: Backend);

        await Assert.ThrowsAsync<KeyEncryptionException>(
            () => EngineHarness.StartAsync(sharedDatabase: legacy.Database, time: legacy.Time, keyEncryption: new KeyEncryption(NewKek(), [])));
    }

    /// <summary>A store written without a KEK, one live session in it, migrated by <paramref name="replicas"/> replicas at once.</summary>
    private protected async Task<(EngineHarness Legacy, IssuedSession Issued, List<(string KeyId, string Algorithm, byte[] PrivateKey)> ClearKeys, byte[] ClearSecret, byte[] Kek, EngineHarness[] Migrated)>
        MigrateAsync(int replicas)
    {
        var legacy = await EngineHarness.StartAsync(backend: Backend);
        var issued = await legacy.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var clearSecret = await RawSecretAsync(legacy);
        var clearKeys = await RawKeysAsync(legacy);
        Assert.Equal(32, clearSecret.Length);

        var kekBytes = NewKek();
        var kek = new KeyEncryption(kekBytes, [], migrateClearValues: true);
        var migrated = await Task.WhenAll(Enumerable.Range(0, replicas).Select(
            _ => EngineHarness.StartAsync(sharedDatabase: legacy.Database, time: legacy.Time, keyEncryption: kek)));
        return (legacy, issued, clearKeys, clearSecret, kekBytes, migrated);
    }

    [SkippableFact]
    public async Task ClearStore_KeysRetiredByAnotherReplicaWhoseReplacementIsNotStoredYet_TheMigratingReplicaSignsWithANewKey()
    {
        // The interleaving of a rollout: replica A has sealed and retired the clear keys and not yet stored its
        // replacement when replica B reads the store. B finds nothing in clear to migrate and no current key; it must
        // not fall back to signing with the retired clear key.
        using var legacy = await EngineHarness.StartAsync(backend: Backend);
        var issued = await legacy.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var clearKeys = await RawKeysAsync(legacy);
        var kek = new KeyEncryption(NewKek(), [], migrateClearValues: true);
        var now = legacy.Time.GetUtcNow();
        foreach (var stored in await legacy.Store.GetSigningKeysAsync(Ct))
        {
            var purpose = SigningKeyRing.Purpose(stored.KeyId, stored.Algorithm);
            var retireAt = stored.SignsUntil < now ? stored.SignsUntil : now;
            var verifyUntil = stored.SignsFrom > now ? now : now + legacy.Options.AccessTokenLifetime + SessionEngineOptions.ClockSkew;
            Assert.True(await legacy.Store.TryRetireSigningKeyAsync(
                stored.KeyId, stored.PrivateKey, kek.Seal(stored.PrivateKey, purpose), retireAt, verifyUntil, Ct));
        }

        using var b = await EngineHarness.StartAsync(sharedDatabase: legacy.Database, time: legacy.Time, keyEncryption: kek);

        var signer = b.Keys.GetSigner(now);
        Assert.NotNull(signer);
        Assert.DoesNotContain(clearKeys, c => c.KeyId == signer.KeyId);
        var rotated = await b.Engine.RefreshAsync(issued.RefreshToken, Ct);
        Assert.Equal(RefreshOutcomeKind.Success, rotated.Kind);
        var header = System.Text.Json.JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(rotated.Session!.AccessToken.Split('.')[0]));
        Assert.Equal(signer.KeyId, header.RootElement.GetProperty("kid").GetString());
        Assert.True(b.Engine.VerifyAccessToken(rotated.Session!.AccessToken).IsValid);
    }

    [SkippableFact]
    public async Task ClearStore_MigratedWithTheSwitch_IsEncrypted_ClearKeysRetireEarly_AndItsSessionsStayValid()
    {
        // Two replicas start with the KEK at once, as a rollout does: both migrate, one wins each swap.
        var (legacy, issued, clearKeys, clearSecret, kekBytes, started) = await MigrateAsync(2);
        var kek = new KeyEncryption(kekBytes, []);
        using var _ = legacy;
        using var a = started[0];
        using var b = started[1];
        var now = legacy.Time.GetUtcNow();

        var secret = await RawSecretAsync(legacy);
        var openedSecret = kek.Open(secret, SecretPurpose);
        Assert.Equal(SealState.Current, openedSecret.State);
        Assert.Equal(clearSecret, openedSecret.Plaintext); // kept: a new secret would invalidate every refresh token

        // Every stored key is sealed; the old current key is retired early, the old next key is gone, and a new key signs.
        var keys = await RawKeysAsync(legacy);
        Assert.All(keys, row => Assert.Equal(SealState.Current, kek.Open(row.PrivateKey, Purpose(row)).State));
        var stored = await legacy.Store.GetSigningKeysAsync(Ct);
        var oldCurrent = Assert.Single(stored, k => clearKeys.Any(c => c.KeyId == k.KeyId));
        Assert.True(oldCurrent.SignsUntil <= now);
        Assert.True(oldCurrent.VerifyUntil <= now + a.Options.AccessTokenLifetime + SessionEngineOptions.ClockSkew);
        Assert.Equal(clearKeys.Single(k => k.KeyId == oldCurrent.KeyId).PrivateKey, kek.Open(keys.Single(k => k.KeyId == oldCurrent.KeyId).PrivateKey, Purpose(keys.Single(k => k.KeyId == oldCurrent.KeyId))).Plaintext);
        foreach (var replica in new[] { a, b })
        {
            var signer = replica.Keys.GetSigner(now);
            Assert.NotNull(signer);
            Assert.DoesNotContain(clearKeys, c => c.KeyId == signer.KeyId);
        }

        // Tokens issued before the migration: the access token verifies, the refresh token rotates, on both.
        Assert.True(a.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
        Assert.True(b.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
        var rotated = await a.Engine.RefreshAsync(issued.RefreshToken, Ct);
        Assert.Equal(RefreshOutcomeKind.Success, rotated.Kind);
        Assert.Equal(RefreshOutcomeKind.Success, (await b.Engine.RefreshAsync(rotated.Session!.RefreshToken, Ct)).Kind);

        // From now on the store needs the KEK; and the switch is not needed any more.
        await Assert.ThrowsAsync<KeyEncryptionException>(() => EngineHarness.StartAsync(sharedDatabase: legacy.Database, time: legacy.Time));
        using var later = await EngineHarness.StartAsync(sharedDatabase: legacy.Database, time: legacy.Time, keyEncryption: kek);
        Assert.True(later.Engine.VerifyAccessToken(rotated.Session!.AccessToken).IsValid);
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
