using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Tokens;

public sealed class AccessTokenVerifierTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    public enum Forgery
    {
        TamperedPayload,
        TamperedSignature,
        AlgNoneEmptySignature,
        AlgNoneWithSignature,
        Hs256WithPublicKey,
        UnknownKid,
        NotYetValid,
        ForeignIssuer,
        TruncatedSignature,
        HeaderOnly,
        TwoSegments,
        FourSegments,
        Garbage64KiB,
        GarbageWithDots64KiB,
        NonAscii,
        Empty,
    }

    private static string B64(string json) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(json));

    private static string Decode(string segment) => Encoding.UTF8.GetString(Base64Url.DecodeFromChars(segment));

    private static string SignWith(SigningKey key, string headerJson, string payloadJson)
    {
        var input = B64(headerJson) + "." + B64(payloadJson);
        var signature = new byte[key.MaxSignatureSize];
        var written = key.Sign(Encoding.ASCII.GetBytes(input), signature);
        return input + "." + Base64Url.EncodeToString(signature.AsSpan(0, written));
    }

    private static string Forge(Forgery forgery, EngineHarness harness, IssuedSession issued)
    {
        var parts = issued.AccessToken.Split('.');
        var header = Decode(parts[0]);
        var payload = Decode(parts[1]);
        var now = harness.Time.GetUtcNow();
        var key = harness.Keys.GetSigner(now)!;
        switch (forgery)
        {
            case Forgery.TamperedPayload:
                return parts[0] + "." + B64(payload.Replace("\"user-1\"", "\"admin\"", StringComparison.Ordinal)) + "." + parts[2];
            case Forgery.TamperedSignature:
                var signature = parts[2].ToCharArray();
                signature[10] = signature[10] == 'A' ? 'B' : 'A';
                return parts[0] + "." + parts[1] + "." + new string(signature);
            case Forgery.AlgNoneEmptySignature:
                return B64($$"""{"alg":"none","kid":"{{key.KeyId}}"}""") + "." + parts[1] + ".";
            case Forgery.AlgNoneWithSignature:
                return B64($$"""{"alg":"none","kid":"{{key.KeyId}}"}""") + "." + parts[1] + "." + parts[2];
            case Forgery.Hs256WithPublicKey:
                var forgedHeader = B64($$"""{"alg":"HS256","kid":"{{key.KeyId}}","typ":"JWT"}""");
                var input = forgedHeader + "." + parts[1];
                var publicJwk = Encoding.UTF8.GetBytes(harness.Engine.JwksJson);
                var mac = HMACSHA256.HashData(publicJwk, Encoding.ASCII.GetBytes(input));
                return input + "." + Base64Url.EncodeToString(mac);
            case Forgery.UnknownKid:
                var stranger = new StoredSigningKeyBuilder(SigningAlgorithm.ES256, "unknown-kid").Build();
                using (var strangerKey = SigningKey.Load(stranger))
                {
                    return SignWith(strangerKey, """{"alg":"ES256","kid":"unknown-kid","typ":"JWT"}""", payload);
                }

            case Forgery.NotYetValid:
                var future = new AccessTokenIssuer(harness.Keys, harness.Options)
                    .Mint("user-1", issued.SessionHandle, "h", null, "{}", now.AddMinutes(5));
                return future.Token;
            case Forgery.ForeignIssuer:
                return new AccessTokenIssuer(harness.Keys, harness.Options with { Issuer = "someone-else" })
                    .Mint("user-1", issued.SessionHandle, "h", null, "{}", now).Token;
            case Forgery.TruncatedSignature:
                return issued.AccessToken[..^10];
            case Forgery.HeaderOnly:
                return parts[0];
            case Forgery.TwoSegments:
                return parts[0] + "." + parts[1];
            case Forgery.FourSegments:
                return issued.AccessToken + "." + parts[2];
            case Forgery.Garbage64KiB:
                return Convert.ToBase64String(RandomNumberGenerator.GetBytes(48 * 1024));
            case Forgery.GarbageWithDots64KiB:
                return Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16 * 1024)) + "."
                    + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16 * 1024)) + "."
                    + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16 * 1024));
            case Forgery.NonAscii:
                return parts[0] + "." + parts[1] + "é." + parts[2];
            case Forgery.Empty:
                return string.Empty;
            default:
                throw new ArgumentOutOfRangeException(nameof(forgery));
        }
    }

    [Theory]
    [InlineData(Forgery.TamperedPayload)]
    [InlineData(Forgery.TamperedSignature)]
    [InlineData(Forgery.AlgNoneEmptySignature)]
    [InlineData(Forgery.AlgNoneWithSignature)]
    [InlineData(Forgery.Hs256WithPublicKey)]
    [InlineData(Forgery.UnknownKid)]
    [InlineData(Forgery.NotYetValid)]
    [InlineData(Forgery.ForeignIssuer)]
    [InlineData(Forgery.TruncatedSignature)]
    [InlineData(Forgery.HeaderOnly)]
    [InlineData(Forgery.TwoSegments)]
    [InlineData(Forgery.FourSegments)]
    [InlineData(Forgery.Garbage64KiB)]
    [InlineData(Forgery.GarbageWithDots64KiB)]
    [InlineData(Forgery.NonAscii)]
    [InlineData(Forgery.Empty)]
    public async Task Verify_ForgedOrMalformedToken_IsInvalid(Forgery forgery)
    {
        using var harness = await EngineHarness.StartAsync();
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.True(harness.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
        var token = Forge(forgery, harness, issued);

        var check = harness.Engine.VerifyAccessToken(token);

        Assert.Equal(AccessTokenStatus.Invalid, check.Status);
        Assert.Null(check.Token);
    }

    [Fact]
    public async Task Verify_Null_IsInvalid()
    {
        using var harness = await EngineHarness.StartAsync();

        Assert.Equal(AccessTokenStatus.Invalid, harness.Engine.VerifyAccessToken(null).Status);
    }

    [Fact]
    public async Task Verify_ExpiredToken_IsExpiredEvenWhenCached()
    {
        using var harness = await EngineHarness.StartAsync();
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.True(harness.Engine.VerifyAccessToken(issued.AccessToken).IsValid); // now cached
        Assert.True(harness.Engine.Cache.Count > 0);

        harness.Time.SetUtcNow(issued.AccessTokenExpires);
        Assert.True(harness.Engine.VerifyAccessToken(issued.AccessToken).IsValid); // within the 1 s skew

        harness.Time.SetUtcNow(issued.AccessTokenExpires + SessionEngineOptions.ClockSkew);
        Assert.Equal(AccessTokenStatus.Expired, harness.Engine.VerifyAccessToken(issued.AccessToken).Status);
    }

    [Fact]
    public async Task Verify_RsaAlgorithm_RoundTripsAndPublishesRsaJwk()
    {
        using var harness = await EngineHarness.StartAsync(new SessionEngineOptions { Algorithm = SigningAlgorithm.RS256 });
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);

        Assert.True(harness.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
        using var jwks = JsonDocument.Parse(harness.Engine.JwksJson);
        var first = jwks.RootElement.GetProperty("keys")[0];
        Assert.Equal("RSA", first.GetProperty("kty").GetString());
        Assert.Equal("RS256", first.GetProperty("alg").GetString());
        Assert.False(first.TryGetProperty("d", out _));
    }

    [Fact]
    public async Task Jwks_EcKeys_HavePublicPartsOnly()
    {
        using var harness = await EngineHarness.StartAsync();

        using var jwks = JsonDocument.Parse(harness.Engine.JwksJson);

        foreach (var key in jwks.RootElement.GetProperty("keys").EnumerateArray())
        {
            Assert.Equal("EC", key.GetProperty("kty").GetString());
            Assert.Equal("P-256", key.GetProperty("crv").GetString());
            Assert.Equal("sig", key.GetProperty("use").GetString());
            Assert.Equal("ES256", key.GetProperty("alg").GetString());
            Assert.True(key.TryGetProperty("x", out _) && key.TryGetProperty("y", out _) && key.TryGetProperty("kid", out _));
            Assert.False(key.TryGetProperty("d", out _));
        }
    }
}
