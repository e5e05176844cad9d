using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionGateway.Keys;
using SessionGateway.Sessions;

namespace SessionGateway.Tests.Engine.Tokens;

/// <summary>
/// Our access tokens checked by a JWT library that is not ours (Microsoft.IdentityModel), against the JWKS the
/// engine publishes: a signing or encoding bug cannot hide behind our own verifier agreeing with our own signer.
/// </summary>
public sealed class IndependentJwtVerificationTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static TokenValidationParameters Parameters(EngineHarness harness, SigningAlgorithm algorithm) => new()
    {
        IssuerSigningKeys = new JsonWebKeySet(harness.Engine.JwksJson).GetSigningKeys(),
        ValidIssuer = harness.Options.Issuer,
        ValidateAudience = false,
        ValidAlgorithms = [algorithm.ToString()],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = TimeSpan.Zero,
    };

    /// <summary>The library checks lifetimes against the real clock, so the engine's clock starts there too.</summary>
    private static Task<EngineHarness> StartAsync(SigningAlgorithm algorithm, TimeSpan? clockOffset = null) =>
        EngineHarness.StartAsync(
            new SessionEngineOptions { Algorithm = algorithm },
            time: new FakeTimeProvider(DateTimeOffset.UtcNow + (clockOffset ?? TimeSpan.Zero)));

    [Theory]
    [InlineData("ES256")]
    [InlineData("RS256")]
    public async Task MintedAccessToken_VerifiesAgainstThePublishedJwks(string algorithmName)
    {
        var algorithm = Enum.Parse<SigningAlgorithm>(algorithmName);
        using var harness = await StartAsync(algorithm);
        var claims = new Dictionary<string, JsonElement> { ["role"] = JsonSerializer.SerializeToElement("editor") };
        var issued = await harness.Engine.CreateLiveAsync("user-1", claims, false, Ct);

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(issued.AccessToken, Parameters(harness, algorithm));

        Assert.True(result.IsValid, result.Exception?.ToString());
        var token = Assert.IsType<JsonWebToken>(result.SecurityToken);
        Assert.Equal(algorithmName, token.Alg);
        Assert.Equal("user-1", token.Subject);
        Assert.Equal(issued.SessionHandle, token.GetClaim("sessionHandle").Value);
        Assert.Equal("editor", token.GetClaim("role").Value);
        Assert.Equal(issued.AccessTokenExpires, new DateTimeOffset(token.ValidTo, TimeSpan.Zero));
    }

    [Fact]
    public async Task Es256Signatures_ManyOfThem_AllVerifyAgainstThePublishedJwks()
    {
        // Each signature is normalised to low-S after signing; a mistake there would show in about half of them.
        using var harness = await StartAsync(SigningAlgorithm.ES256);
        var parameters = Parameters(harness, SigningAlgorithm.ES256);
        var handler = new JsonWebTokenHandler();

        for (var i = 0; i < 40; i++)
        {
            var issued = await harness.Engine.CreateLiveAsync("user-" + i, null, false, Ct);
            var result = await handler.ValidateTokenAsync(issued.AccessToken, parameters);
            Assert.True(result.IsValid, result.Exception?.ToString());
        }
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("RS256")]
    public async Task TamperedAccessToken_FailsThereToo(string algorithmName)
    {
        var algorithm = Enum.Parse<SigningAlgorithm>(algorithmName);
        using var harness = await StartAsync(algorithm);
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var parts = issued.AccessToken.Split('.');
        var payload = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Base64UrlEncoder.Decode(parts[1]))!;
        payload["sub"] = JsonSerializer.SerializeToElement("admin");
        var tampered = parts[0] + "." + Base64UrlEncoder.Encode(JsonSerializer.Serialize(payload)) + "." + parts[2];
        var handler = new JsonWebTokenHandler();

        var tamperedResult = await handler.ValidateTokenAsync(tampered, Parameters(harness, algorithm));
        var untouchedResult = await handler.ValidateTokenAsync(issued.AccessToken, Parameters(harness, algorithm));

        Assert.False(tamperedResult.IsValid);
        Assert.IsType<SecurityTokenInvalidSignatureException>(tamperedResult.Exception);
        Assert.True(untouchedResult.IsValid, untouchedResult.Exception?.ToString());
    }

    [Fact]
    public async Task ExpiredAccessToken_FailsThereToo()
    {
        using var harness = await StartAsync(SigningAlgorithm.ES256, clockOffset: -TimeSpan.FromHours(1));
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(issued.AccessToken, Parameters(harness, SigningAlgorithm.ES256));

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenExpiredException>(result.Exception);
    }
}
