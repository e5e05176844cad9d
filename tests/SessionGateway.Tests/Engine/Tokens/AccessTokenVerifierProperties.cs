using System.Buffers.Text;
using System.Text;
using CsCheck;
using SessionGateway.Keys;
using SessionGateway.Sessions;
using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Tokens;

/// <summary>
/// Properties of access-token verification over generated input (CsCheck): nothing throws, and nothing derived from
/// issued tokens without the key gets past the signature check unless it is, character for character, one of them.
/// </summary>
[Trait("Category", PropertyRun.Category)]
public sealed class AccessTokenVerifierProperties
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static readonly Gen<string> AnyText = Gen.OneOf(
        Gen.String[0, 300],
        Gen.String[Gen.Char["ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.= \t%"], 0, 600]);

    [Theory]
    [InlineData("ES256")]
    [InlineData("RS256")]
    public async Task Verify_MutationsOfIssuedTokens_PassTheSignatureCheckOnlyWhenIdenticalToOne(string algorithmName)
    {
        using var harness = await EngineHarness.StartAsync(new SessionEngineOptions { Algorithm = Enum.Parse<SigningAlgorithm>(algorithmName) });
        var first = (await harness.Engine.CreateLiveAsync("user-1", null, false, Ct)).AccessToken;
        var second = (await harness.Engine.CreateLiveAsync("user-2", null, true, Ct)).AccessToken;
        HashSet<string> issued = [first, second];

        Gen.Select(Gen.Bool, TokenMutation.Several).Sample(
            (firstOne, mutations) =>
            {
                var (token, other) = firstOne ? (first, second) : (second, first);
                var mutated = TokenMutation.ApplyAll(token, other, mutations);

                var check = harness.Engine.VerifyAccessToken(mutated);
                var bySpan = harness.Engine.VerifyAccessToken(mutated.AsSpan());
                _ = harness.Engine.ClaimsToBeOurs(mutated);

                // Expired also means the signature verified, so only Invalid is allowed for anything not issued.
                Assert.True(check.Status == AccessTokenStatus.Invalid || issued.Contains(mutated), $"{check.Status}: {mutated}");
                Assert.Equal(check.Status, bySpan.Status);
            },
            iter: PropertyRun.Iter(algorithmName == "ES256" ? 3_000 : 2_000),
            threads: PropertyRun.Threads);
    }

    [Fact]
    public async Task Verify_AnyText_IsInvalidAndNeverThrows()
    {
        using var harness = await EngineHarness.StartAsync();

        AnyText.Sample(
            text =>
            {
                Assert.Equal(AccessTokenStatus.Invalid, harness.Engine.VerifyAccessToken(text).Status);
                Assert.Equal(AccessTokenStatus.Invalid, harness.Engine.VerifyAccessToken(text.AsSpan()).Status);
                _ = harness.Engine.ClaimsToBeOurs(text);
            },
            iter: PropertyRun.Iter(5_000),
            threads: PropertyRun.Threads);
    }

    /// <summary>
    /// Payloads signed with our own key, so the claim parser behind the signature check is reached: odd values,
    /// types, duplicates, huge numbers, deep nesting. Nothing throws, and whatever passes meets every rule.
    /// </summary>
    [Fact]
    public async Task Verify_OddPayloadsSignedWithOurKey_NeverThrowAndPassOnlyWhenEveryRuleHolds()
    {
        using var harness = await EngineHarness.StartAsync();
        var now = harness.Time.GetUtcNow();
        var key = harness.Keys.GetSigner(now)!;
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($$"""{"alg":"ES256","kid":"{{key.KeyId}}","typ":"JWT"}"""));
        var seconds = now.ToUnixTimeSeconds();
        string[] claims =
        [
            "\"sub\"", "\"iat\"", "\"exp\"", "\"nbf\"", "\"sessionHandle\"", "\"refreshTokenHash1\"", "\"antiCsrfToken\"", "\"iss\"",
            "\"parentRefreshTokenHash1\"", "\"role\"", "\"\"", "\"s\\u0075b\"",
        ];
        string[] values =
        [
            "\"user-1\"", "\"h\"", "\"session-gateway\"", "\"\"", "null", "true", "{}", "[]", "{\"a\":[1,{}]}", "1.5", "1e400", "-1", "0",
            "9223372036854775807", "-9223372036854775808", "253402300800", $"{seconds}", $"{seconds + 900}", $"{seconds + 901}",
            $"{seconds + 902}", $"{seconds - 900}", $"{seconds + 5}", "\"\\ud800\"", new string('[', 100) + new string(']', 100),
        ];
        var claim = Gen.Select(Gen.Int[0, claims.Length - 1], Gen.Int[0, values.Length - 1], (c, v) => claims[c] + ":" + values[v]);
        var payloads = Gen.Select(
            claim.Array[0, 12],
            Gen.Bool,
            Gen.String[0, 4],
            (parts, complete, junk) =>
            {
                // Half the time start from a complete, valid claim set and let the generated claims override it.
                var basis = complete
                    ? $"\"sub\":\"user-1\",\"iat\":{seconds},\"exp\":{seconds + 900},\"sessionHandle\":\"h\",\"refreshTokenHash1\":\"x\",\"iss\":\"session-gateway\","
                    : string.Empty;
                return "{" + basis + string.Join(',', parts) + "}" + junk;
            });

        payloads.Sample(
            payload =>
            {
                var input = header + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload));
                var signature = new byte[key.MaxSignatureSize];
                var written = key.Sign(Encoding.ASCII.GetBytes(input), signature);
                var token = input + "." + Base64Url.EncodeToString(signature.AsSpan(0, written));

                var check = harness.Engine.VerifyAccessToken(token);

                if (check.IsValid)
                {
                    var verified = check.Token;
                    Assert.False(string.IsNullOrEmpty(verified.UserId));
                    Assert.False(string.IsNullOrEmpty(verified.SessionHandle));
                    Assert.InRange(verified.Expires - verified.IssuedAt, TimeSpan.MinValue, harness.Options.AccessTokenLifetime + SessionEngineOptions.ClockSkew);
                    Assert.True(verified.IssuedAt <= now + SessionEngineOptions.ClockSkew);
                    Assert.True(now < verified.Expires + SessionEngineOptions.ClockSkew);
                }
            },
            iter: PropertyRun.Iter(2_000),
            threads: PropertyRun.Threads);
    }
}
