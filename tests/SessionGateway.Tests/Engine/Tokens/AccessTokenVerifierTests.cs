using System.Buffers.Text;
using System.Globalization;
using System.Numerics;
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
        HighS,
        LifetimeBeyondConfigured,
    }

    /// <summary>Other spellings of an issued token's signature segment that the framework's decoder reads alike.</summary>
    public enum Respelling
    {
        Padding,
        Space,
        Newline,
        Tab,
        SpareBitsOfLastCharacter,
    }

    private static string Respell(string token, Respelling respelling)
    {
        var dot = token.LastIndexOf('.');
        var signature = token[(dot + 1)..];
        var respelled = respelling switch
        {
            Respelling.Padding => signature + new string('=', (4 - (signature.Length % 4)) % 4),
            Respelling.Space => signature.Insert(signature.Length / 2, " "),
            Respelling.Newline => signature.Insert(signature.Length / 2, "\r\n"),
            Respelling.Tab => signature.Insert(1, "\t"),
            Respelling.SpareBitsOfLastCharacter => signature[..^1] + SetLowestBit(signature[^1]),
            _ => throw new ArgumentOutOfRangeException(nameof(respelling)),
        };
        return token[..(dot + 1)] + respelled;
    }

    private static char SetLowestBit(char last)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        return alphabet[alphabet.IndexOf(last, StringComparison.Ordinal) | 1];
    }

    /// <summary>The other ECDSA signature of the same data: (r, n - s).</summary>
    internal static string WithNegatedS(string token)
    {
        var order = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        var dot = token.LastIndexOf('.');
        var signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
        var s = new BigInteger(signature.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var negated = (order - s).ToByteArray(isUnsigned: true, isBigEndian: true);
        var forged = new byte[64];
        signature.AsSpan(0, 32).CopyTo(forged);
        negated.CopyTo(forged.AsSpan(64 - negated.Length));
        return token[..(dot + 1)] + Base64Url.EncodeToString(forged);
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
            case Forgery.HighS:
                return WithNegatedS(issued.AccessToken);
            case Forgery.LifetimeBeyondConfigured:
                // What anyone holding a copy of the signing key could mint: an admin token good for a year.
                return new AccessTokenIssuer(harness.Keys, harness.Options with { AccessTokenLifetime = TimeSpan.FromDays(365) })
                    .Mint("admin", issued.SessionHandle, "h", null, """{"role":"admin"}""", now).Token;
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
    [InlineData(Forgery.HighS)]
    [InlineData(Forgery.LifetimeBeyondConfigured)]
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

    [Theory]
    [InlineData("ES256", Respelling.Padding)]
    [InlineData("ES256", Respelling.Space)]
    [InlineData("ES256", Respelling.Newline)]
    [InlineData("ES256", Respelling.Tab)]
    [InlineData("ES256", Respelling.SpareBitsOfLastCharacter)]
    [InlineData("RS256", Respelling.Padding)]
    [InlineData("RS256", Respelling.Space)]
    [InlineData("RS256", Respelling.SpareBitsOfLastCharacter)]
    public async Task Verify_IssuedTokenRespelled_IsInvalidAndNotCached(string algorithm, Respelling respelling)
    {
        using var harness = await EngineHarness.StartAsync(new SessionEngineOptions { Algorithm = Enum.Parse<SigningAlgorithm>(algorithm) });
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var respelled = Respell(issued.AccessToken, respelling);
        Assert.NotEqual(issued.AccessToken, respelled);

        var check = harness.Engine.VerifyAccessToken(respelled);

        Assert.Equal(AccessTokenStatus.Invalid, check.Status);
        Assert.Equal(0, harness.Engine.Cache.Count);
        Assert.True(harness.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
    }

    [Fact]
    public async Task Mint_Es256_SignsLowSOnly()
    {
        using var harness = await EngineHarness.StartAsync();
        var key = harness.Keys.GetSigner(harness.Time.GetUtcNow())!;
        var signature = new byte[key.MaxSignatureSize];

        // Half of raw ECDSA signatures are high-S; 64 in a row all low means the signer normalises.
        for (var i = 0; i < 64; i++)
        {
            var written = key.Sign(BitConverter.GetBytes(i), signature);
            Assert.True(EcdsaLowS.IsLowS(signature.AsSpan(0, written)));
            Assert.True(key.Verify(BitConverter.GetBytes(i), signature.AsSpan(0, written)));
        }
    }

    [Fact]
    public async Task Verify_TokenWithinTheConfiguredLifetimeAndSkew_IsValid()
    {
        using var harness = await EngineHarness.StartAsync();
        var now = harness.Time.GetUtcNow();
        var atTheLimit = new AccessTokenIssuer(harness.Keys, harness.Options with { AccessTokenLifetime = harness.Options.AccessTokenLifetime + SessionEngineOptions.ClockSkew })
            .Mint("user-1", "handle-1", "h", null, "{}", now).Token;
        var beyond = new AccessTokenIssuer(harness.Keys, harness.Options with { AccessTokenLifetime = harness.Options.AccessTokenLifetime + TimeSpan.FromSeconds(2) })
            .Mint("user-1", "handle-1", "h", null, "{}", now).Token;

        Assert.True(harness.Engine.VerifyAccessToken(atTheLimit).IsValid);
        Assert.Equal(AccessTokenStatus.Invalid, harness.Engine.VerifyAccessToken(beyond).Status);
    }

    [Fact]
    public async Task Verify_TokenMintedBeforeTheLifetimeWasShortened_IsInvalid()
    {
        using var before = await EngineHarness.StartAsync(new SessionEngineOptions { AccessTokenLifetime = TimeSpan.FromMinutes(15) });
        var issued = await before.Engine.CreateLiveAsync("user-1", null, false, Ct);
        using var after = await EngineHarness.StartAsync(
            new SessionEngineOptions { AccessTokenLifetime = TimeSpan.FromMinutes(5) }, sharedDatabase: before.Database, time: before.Time);

        // The client is told "try refresh token"; the refresh mints a token under the new lifetime.
        Assert.Equal(AccessTokenStatus.Invalid, after.Engine.VerifyAccessToken(issued.AccessToken).Status);
        var refreshed = await after.Engine.RefreshAsync(issued.RefreshToken, Ct);
        Assert.Equal(RefreshOutcomeKind.Success, refreshed.Kind);
        Assert.True(after.Engine.VerifyAccessToken(refreshed.Session!.AccessToken).IsValid);
    }

    [Fact]
    public async Task Verify_FloodOfVariantsAndJunk_LeavesTheCacheUnderItsByteBoundAndStillServesValidTokens()
    {
        using var harness = await EngineHarness.StartAsync(new SessionEngineOptions { VerificationCacheMegabytes = 1 });
        var cache = harness.Engine.Cache;
        var old = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        harness.Time.Advance(harness.Options.AccessTokenLifetime + TimeSpan.FromMinutes(1));
        var random = new Random(8);

        // One expired token respelled thousands of ways (whitespace, padding, spare bits), and junk up to the size limit.
        Assert.Equal(AccessTokenStatus.Expired, harness.Engine.VerifyAccessToken(old.AccessToken).Status);
        for (var i = 0; i < 4_000; i++)
        {
            var variant = i % 4 == 3
                ? RandomText(random, random.Next(1, AccessTokenVerifier.MaxTokenLength + 1))
                : Respell(old.AccessToken, (Respelling)(i % 5)).Insert(old.AccessToken.Length - 1 - random.Next(80), new string(' ', i % 40));
            Assert.NotEqual(AccessTokenStatus.Valid, harness.Engine.VerifyAccessToken(variant).Status);
        }

        Assert.Equal(0, cache.Count);
        Assert.Equal(0, cache.Bytes);

        // Valid tokens, each with a kilobyte of claims, many times what fits: the accounted size stays under the bound.
        var now = harness.Time.GetUtcNow();
        var issuer = new AccessTokenIssuer(harness.Keys, harness.Options);
        var claims = JsonSerializer.Serialize(new Dictionary<string, string> { ["blob"] = new('x', 1024) });
        string? last = null;
        for (var i = 0; i < 2_000; i++)
        {
            last = issuer.Mint("user-" + i, "handle-" + i, "h", null, claims, now).Token;
            Assert.True(harness.Engine.VerifyAccessToken(last).IsValid);
            Assert.InRange(cache.Bytes, 0, cache.MaxBytes);
        }

        Assert.Equal(1024 * 1024, cache.MaxBytes);
        Assert.True(cache.Bytes > cache.MaxBytes / 4, "the cache holds valid tokens up to its bound");
        Assert.True(cache.TryGet(last!, out var hit));
        Assert.Equal("user-1999", hit.UserId);
    }

    private static string RandomText(Random random, int length)
    {
        const string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.= \t";
        return string.Create(length, random, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = chars[r.Next(chars.Length)];
            }
        });
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
