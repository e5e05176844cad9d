using System.Text.Json;
using SessionGateway.Sessions;
using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Keys;

/// <summary>Runs against every backend: one subclass per <see cref="TestBackend"/>.</summary>
public abstract class KeyRotationTests
{
    private protected abstract TestBackend Backend { get; }

    private static readonly CancellationToken Ct = CancellationToken.None;

    private static List<string> JwksKeyIds(string jwks)
    {
        using var document = JsonDocument.Parse(jwks);
        return document.RootElement.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()!).ToList();
    }

    private static string KeyIdOf(string accessToken)
    {
        using var header = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(accessToken.Split('.')[0]));
        return header.RootElement.GetProperty("kid").GetString()!;
    }

    [SkippableFact]
    public async Task Rotation_PreviousKeysTokens_VerifyUntilTheyExpire_AndNextKeyIsPublishedBeforeItSigns()
    {
        using var harness = await EngineHarness.StartAsync(backend: Backend);
        var rotation = harness.Options.SigningKeyRotation;
        var firstKid = harness.Keys.GetSigner(harness.Time.GetUtcNow())!.KeyId;
        var published = JwksKeyIds(harness.Engine.JwksJson);
        Assert.Equal(2, published.Count);
        var nextKid = Assert.Single(published, kid => kid != firstKid);

        // Just before the switch: still the first key, the next one already published.
        harness.Time.Advance(rotation - TimeSpan.FromMinutes(5));
        await harness.Keys.RefreshAsync(Ct);
        var oldToken = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.Equal(firstKid, KeyIdOf(oldToken.AccessToken));

        harness.Time.Advance(TimeSpan.FromMinutes(5));
        await harness.Keys.RefreshAsync(Ct);
        var newToken = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.Equal(nextKid, KeyIdOf(newToken.AccessToken));
        var afterSwitch = JwksKeyIds(harness.Engine.JwksJson);
        Assert.Contains(firstKid, afterSwitch);
        Assert.Equal(3, afterSwitch.Count); // previous, current and the one after

        // The old key's token keeps verifying until its own expiry, then is expired.
        harness.Time.SetUtcNow(oldToken.AccessTokenExpires - TimeSpan.FromSeconds(1));
        await harness.Keys.RefreshAsync(Ct);
        Assert.True(harness.Engine.VerifyAccessToken(oldToken.AccessToken).IsValid);
        harness.Time.SetUtcNow(oldToken.AccessTokenExpires + SessionEngineOptions.ClockSkew);
        Assert.Equal(AccessTokenStatus.Expired, harness.Engine.VerifyAccessToken(oldToken.AccessToken).Status);

        // Once no token of the old key can be alive, the key leaves the JWKS and the store.
        harness.Time.Advance(harness.Options.AccessTokenLifetime);
        await harness.Keys.RefreshAsync(Ct);
        Assert.DoesNotContain(firstKid, JwksKeyIds(harness.Engine.JwksJson));
        Assert.DoesNotContain(await harness.Store.GetSigningKeysAsync(Ct), k => k.KeyId == firstKid);
        var later = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.Equal(nextKid, KeyIdOf(later.AccessToken));
        Assert.True(harness.Engine.VerifyAccessToken(later.AccessToken).IsValid);
    }

    [SkippableFact]
    public async Task Refresh_SecondReplicaStarting_ReusesTheStoredKeys()
    {
        using var first = await EngineHarness.StartAsync(backend: Backend);
        using var second = await EngineHarness.StartAsync(sharedDatabase: first.Database, time: first.Time);

        Assert.Equal(2, (await first.Store.GetSigningKeysAsync(Ct)).Count);
        Assert.Equal(JwksKeyIds(first.Engine.JwksJson), JwksKeyIds(second.Engine.JwksJson));
    }

    [SkippableFact]
    public async Task Refresh_AfterDowntimeLongerThanTwoPeriods_CreatesAKeyThatSignsNow()
    {
        using var harness = await EngineHarness.StartAsync(backend: Backend);
        var before = harness.Keys.GetSigner(harness.Time.GetUtcNow())!.KeyId;

        harness.Time.Advance(harness.Options.SigningKeyRotation * 3);
        await harness.Keys.RefreshAsync(Ct);

        var signer = harness.Keys.GetSigner(harness.Time.GetUtcNow())!;
        Assert.NotEqual(before, signer.KeyId);
        Assert.True(signer.SignsFrom <= harness.Time.GetUtcNow() && harness.Time.GetUtcNow() < signer.SignsUntil);
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.True(harness.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
    }

    [SkippableFact]
    public async Task SigningKey_ToString_HasNoKeyMaterial()
    {
        using var harness = await EngineHarness.StartAsync(backend: Backend);
        var stored = (await harness.Store.GetSigningKeysAsync(Ct))[0];
        var material = Convert.ToBase64String(stored.PrivateKeyPkcs8);

        Assert.DoesNotContain(material, stored.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("PrivateKey", stored.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("PrivateKey", harness.Keys.GetSigner(harness.Time.GetUtcNow())!.ToString(), StringComparison.Ordinal);
    }
}
