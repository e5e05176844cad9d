using System.Buffers.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Tokens;

/// <summary>
/// Session assertions minted by the engine, checked by a JWT library that is not ours against the published JWKS,
/// and kept apart from access tokens by their <c>typ</c>.
/// </summary>
public sealed class AssertionIssuerTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;
    private static readonly HashSet<string> RoleAndLevels = ["role", "levels", "aud", "sid", "sessionHandle"];

    /// <summary>The library checks lifetimes against the real clock, so the engine's clock starts there too.</summary>
    private static Task<EngineHarness> StartAsync(SigningAlgorithm algorithm = SigningAlgorithm.ES256) =>
        EngineHarness.StartAsync(new SessionEngineOptions { Algorithm = algorithm }, time: new FakeTimeProvider(DateTimeOffset.UtcNow));

    private static TokenValidationParameters Parameters(EngineHarness harness, string audience) => new()
    {
        IssuerSigningKeys = new JsonWebKeySet(harness.Engine.JwksJson).GetSigningKeys(),
        ValidIssuer = harness.Options.Issuer,
        ValidAudience = audience,
        ValidTypes = [SigningKey.AssertionJwsType],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ValidateLifetime = true,
        ClockSkew = TimeSpan.Zero,
    };

    private static async Task<VerifiedAccessToken> SessionAsync(EngineHarness harness, Dictionary<string, JsonElement>? claims = null)
    {
        var issued = await harness.Engine.CreateLiveAsync("user-1", claims, false, Ct);
        var check = harness.Engine.VerifyAccessToken(issued.AccessToken);
        Assert.True(check.IsValid);
        return check.Token;
    }

    [Theory]
    [InlineData("ES256")]
    [InlineData("RS256")]
    public async Task Mint_VerifiesAgainstThePublishedJwks_WithTypeIssuerAudienceSubjectSessionAndClaims(string algorithmName)
    {
        using var harness = await StartAsync(Enum.Parse<SigningAlgorithm>(algorithmName));
        var token = await SessionAsync(harness, new()
        {
            ["role"] = JsonSerializer.SerializeToElement("editor"),
            ["levels"] = JsonSerializer.SerializeToElement(new[] { 1, 2 }),
            ["aud"] = JsonSerializer.SerializeToElement("evil"),
            ["sid"] = JsonSerializer.SerializeToElement("evil"),
            ["tenant"] = JsonSerializer.SerializeToElement("not asked for"),
        });
        var now = harness.Time.GetUtcNow();

        var minted = new AssertionIssuer(harness.Keys, harness.Options).Mint(token, "orders", RoleAndLevels, TimeSpan.FromSeconds(60), now);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(minted.Token, Parameters(harness, "orders"));

        Assert.True(result.IsValid, result.Exception?.ToString());
        var jwt = Assert.IsType<JsonWebToken>(result.SecurityToken);
        Assert.Equal(algorithmName, jwt.Alg);
        Assert.Equal("session-assertion+jwt", jwt.Typ);
        Assert.Equal("user-1", jwt.Subject);
        Assert.Equal(["orders"], jwt.Audiences);
        Assert.Equal(token.SessionHandle, jwt.GetClaim("sid").Value);
        Assert.Equal("editor", jwt.GetClaim("role").Value);
        using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(minted.Token.Split('.')[1]));
        var names = payload.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(["iss", "aud", "sub", "sid", "role", "levels", "iat", "exp"], names);
        Assert.Equal("[1,2]", payload.RootElement.GetProperty("levels").GetRawText());
        Assert.Equal(now.ToUnixTimeSeconds(), payload.RootElement.GetProperty("iat").GetInt64());
        Assert.Equal(now.ToUnixTimeSeconds() + 60, payload.RootElement.GetProperty("exp").GetInt64());
    }

    [Fact]
    public async Task Mint_WhenTheAccessTokenExpiresFirst_ExpiresWithIt()
    {
        using var harness = await StartAsync();
        var token = await SessionAsync(harness);
        var now = token.Expires - TimeSpan.FromSeconds(20);

        var minted = new AssertionIssuer(harness.Keys, harness.Options).Mint(token, "orders", RoleAndLevels, TimeSpan.FromSeconds(60), now);

        Assert.Equal(token.Expires, minted.Expires);
        Assert.Equal(now.ToUnixTimeSeconds(), minted.IssuedAt.ToUnixTimeSeconds());
        Assert.DoesNotContain(minted.Token, minted.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAccessToken_IsNotAnAssertion_ForAVerifierThatChecksTheType()
    {
        using var harness = await StartAsync();
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var parameters = Parameters(harness, "orders");
        parameters.ValidateAudience = false;

        var result = await new JsonWebTokenHandler().ValidateTokenAsync(issued.AccessToken, parameters);

        Assert.False(result.IsValid);
        Assert.IsType<SecurityTokenInvalidTypeException>(result.Exception);
    }

    [Fact]
    public async Task AnAssertion_IsNeverAnAccessToken_EvenWithEveryAccessTokenClaim()
    {
        // Signed with our key and carrying a whole access-token payload, but typed as an assertion.
        using var harness = await StartAsync();
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        var key = harness.Keys.GetSigner(harness.Time.GetUtcNow())!;
        var payload = Base64Url.DecodeFromChars(issued.AccessToken.Split('.')[1]);
        var typedAsAssertion = CompactJws.Sign(key, key.AssertionJwsHeader.Span, payload);
        var typedAsJwt = CompactJws.Sign(key, key.JwsHeader.Span, payload);
        var minted = new AssertionIssuer(harness.Keys, harness.Options)
            .Mint(harness.Engine.VerifyAccessToken(issued.AccessToken).Token!, "orders", RoleAndLevels, TimeSpan.FromSeconds(60), harness.Time.GetUtcNow());

        Assert.Equal(AccessTokenStatus.Valid, harness.Engine.VerifyAccessToken(typedAsJwt).Status);
        Assert.Equal(AccessTokenStatus.Invalid, harness.Engine.VerifyAccessToken(typedAsAssertion).Status);
        Assert.Equal(AccessTokenStatus.Invalid, harness.Engine.VerifyAccessToken(minted.Token).Status);
    }
}
