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
        var first = harness.Keys.GetSigner(harness.Time.GetUtcNow())!;
        var firstKid = first.KeyId;
        var published = JwksKeyIds(harness.Engine.JwksJson);
        Assert.Equal(2, published.Count);
        var nextKid = Assert.Single(published, kid => kid != firstKid);

        // Just before the switch: still the first key, the next one already published.
        harness.Time.SetUtcNow(first.SignsUntil - TimeSpan.FromMinutes(5));
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

    [SkippableTheory]
    [InlineData(0.0)]
    [InlineData(0.49)]
    [InlineData(0.51)]
    [InlineData(0.999)]
    public async Task Refresh_ReplicasStartingTogetherOnAnEmptyStore_EndWithOneCurrentKey(double intoPeriod)
    {
        // Wherever in a rotation period they start, replicas a moment apart agree on the current key.
        var options = new SessionEngineOptions();
        var periodStart = DateTimeOffset.FromUnixTimeMilliseconds(
            EngineHarness.Start.ToUnixTimeMilliseconds() / (long)options.SigningKeyRotation.TotalMilliseconds * (long)options.SigningKeyRotation.TotalMilliseconds);
        var start = periodStart + options.SigningKeyRotation * intoPeriod;
        using var database = await TestDatabase.CreateAsync(Backend);
        var replicas = new EngineHarness[4];

        // Each replica's clock a few milliseconds apart, as real machines are.
        await Task.WhenAll(Enumerable.Range(0, replicas.Length).Select(i => Task.Run(async () =>
            replicas[i] = await EngineHarness.StartAsync(options, database, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(start + TimeSpan.FromMilliseconds(7 * i))))));

        try
        {
            var now = replicas[^1].Time.GetUtcNow();
            var stored = await replicas[0].Store.GetSigningKeysAsync(Ct);
            Assert.Single(stored, k => k.SignsFrom <= now && now < k.SignsUntil);
            Assert.Single(replicas.Select(r => r.Keys.GetSigner(r.Time.GetUtcNow())!.KeyId).Distinct());
            Assert.Single(replicas.Select(r => r.Engine.JwksJson).Distinct());
            var signer = replicas[0].Keys.GetSigner(now)!;
            Assert.True(signer.SignsUntil - now >= options.SigningKeyRotation / 2, "the first successor is published at least half a period before it signs");
        }
        finally
        {
            foreach (var replica in replicas)
            {
                replica?.Dispose();
            }
        }
    }

    [SkippableTheory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Refresh_ReplicasStartingOnBothSidesOfAPeriodBoundary_EndWithOneKeyAndVerifyEachOthersTokens(bool laterClockFirst)
    {
        var options = new SessionEngineOptions();
        var period = (long)options.SigningKeyRotation.TotalMilliseconds;
        var boundary = DateTimeOffset.FromUnixTimeMilliseconds((EngineHarness.Start.ToUnixTimeMilliseconds() / period + 1) * period);
        var early = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(boundary - TimeSpan.FromMilliseconds(5));
        var late = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(boundary + TimeSpan.FromMilliseconds(5));
        using var database = await TestDatabase.CreateAsync(Backend);

        using var first = await EngineHarness.StartAsync(options, database, laterClockFirst ? late : early);
        using var second = await EngineHarness.StartAsync(options, database, laterClockFirst ? early : late);

        var keys = await first.Store.GetSigningKeysAsync(Ct);
        Assert.Single(keys, k => k.SignsFrom <= boundary && boundary < k.SignsUntil);
        var fromFirst = await first.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var fromSecond = await second.Engine.CreateLiveAsync("user-2", null, false, Ct);
        Assert.Equal(KeyIdOf(fromFirst.AccessToken), KeyIdOf(fromSecond.AccessToken));
        Assert.True(second.Engine.VerifyAccessToken(fromFirst.AccessToken).IsValid);
        Assert.True(first.Engine.VerifyAccessToken(fromSecond.AccessToken).IsValid);
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
        var material = Convert.ToBase64String(stored.PrivateKey);

        Assert.DoesNotContain(material, stored.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("PrivateKey", stored.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("PrivateKey", harness.Keys.GetSigner(harness.Time.GetUtcNow())!.ToString(), StringComparison.Ordinal);
    }
}
