using System.Text.Json;
using SessionGateway.Sessions;
using SessionGateway.Tokens;

namespace SessionGateway.Tests.Engine.Sessions;

public sealed class SessionEngineTests
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    private static Dictionary<string, JsonElement> Claims(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone());
    }

    [Fact]
    public async Task Create_WithCustomClaims_IssuesVerifiableTokenWithProtocolClaims()
    {
        using var harness = await EngineHarness.StartAsync();

        var issued = await harness.Engine.CreateLiveAsync("user-1", Claims("""{"role":"admin","tier":3}"""), true, Ct);

        var check = harness.Engine.VerifyAccessToken(issued.AccessToken);
        Assert.True(check.IsValid);
        Assert.Equal("user-1", check.Token.UserId);
        Assert.Equal(issued.SessionHandle, check.Token.SessionHandle);
        Assert.Equal(issued.AntiCsrfToken, check.Token.AntiCsrfToken);
        Assert.NotNull(issued.AntiCsrfToken);
        Assert.Equal("admin", check.Token.CustomClaims["role"]);
        Assert.Equal("3", check.Token.CustomClaims["tier"]);
        Assert.Equal(issued.AccessTokenPayloadJson, check.Token.PayloadJson);
        Assert.Equal(harness.Time.GetUtcNow() + harness.Options.AccessTokenLifetime, issued.AccessTokenExpires);

        using var payload = JsonDocument.Parse(issued.AccessTokenPayloadJson);
        var root = payload.RootElement;
        Assert.Equal("user-1", root.GetProperty("sub").GetString());
        Assert.Equal(TokenHashing.Hash1(issued.RefreshToken), root.GetProperty("refreshTokenHash1").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("parentRefreshTokenHash1").ValueKind);
        Assert.Equal("session-gateway", root.GetProperty("iss").GetString());
        Assert.Equal(issued.AccessTokenExpires.ToUnixTimeSeconds(), root.GetProperty("exp").GetInt64());
    }

    [Fact]
    public async Task Create_WithoutAntiCsrf_WritesNullClaim()
    {
        using var harness = await EngineHarness.StartAsync();

        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);

        Assert.Null(issued.AntiCsrfToken);
        using var payload = JsonDocument.Parse(issued.AccessTokenPayloadJson);
        Assert.Equal(JsonValueKind.Null, payload.RootElement.GetProperty("antiCsrfToken").ValueKind);
    }

    [Theory]
    [InlineData("sub")]
    [InlineData("iat")]
    [InlineData("exp")]
    [InlineData("iss")]
    [InlineData("sessionHandle")]
    [InlineData("refreshTokenHash1")]
    [InlineData("parentRefreshTokenHash1")]
    [InlineData("antiCsrfToken")]
    public async Task Create_ReservedCustomClaim_CannotOverrideEngineClaim(string name)
    {
        using var harness = await EngineHarness.StartAsync();

        var issued = await harness.Engine.CreateLiveAsync("user-1", Claims($$"""{"{{name}}":"evil","role":"x"}"""), false, Ct);

        using var payload = JsonDocument.Parse(issued.AccessTokenPayloadJson);
        var values = payload.RootElement.EnumerateObject().Where(p => p.Name == name).ToList();
        Assert.Single(values);
        Assert.NotEqual("evil", values[0].Value.ToString());
        Assert.True(harness.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
        // Claims survive refresh without the reserved one coming back.
        var refreshed = (await harness.Engine.RefreshAsync(issued.RefreshToken, Ct)).Session!;
        Assert.DoesNotContain("evil", refreshed.AccessTokenPayloadJson, StringComparison.Ordinal);
        Assert.Contains("\"role\":\"x\"", refreshed.AccessTokenPayloadJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_LiveSession_RejectsItsAccessTokenAndRefreshToken()
    {
        using var harness = await EngineHarness.StartAsync();
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, Ct);
        Assert.True(harness.Engine.VerifyAccessToken(issued.AccessToken).IsValid);

        Assert.True((await harness.Engine.RevokeAsync(issued.SessionHandle, SessionEngine.SignedOutAuditKind, Ct)).Value);

        Assert.Equal(AccessTokenStatus.Invalid, harness.Engine.VerifyAccessToken(issued.AccessToken).Status);
        Assert.Equal(RefreshOutcomeKind.Unauthorised, (await harness.Engine.RefreshAsync(issued.RefreshToken, Ct)).Kind);
    }

    [Fact]
    public async Task RevokeAllForUser_ManySessions_RevokesOnlyThatUser()
    {
        using var harness = await EngineHarness.StartAsync();
        var a1 = await harness.Engine.CreateLiveAsync("alice", null, false, Ct);
        await harness.Engine.CreateLiveAsync("alice", null, false, Ct);
        var b = await harness.Engine.CreateLiveAsync("bob", null, false, Ct);

        Assert.Equal(2, (await harness.Engine.RevokeAllForUserAsync("alice", Ct)).Value);

        Assert.Empty((await harness.Engine.ListSessionsAsync("alice", Ct)).Value!);
        Assert.False(harness.Engine.VerifyAccessToken(a1.AccessToken).IsValid);
        Assert.True(harness.Engine.VerifyAccessToken(b.AccessToken).IsValid);
        Assert.Equal(b.SessionHandle, Assert.Single((await harness.Engine.ListSessionsAsync("bob", Ct)).Value!).SessionHandle);
    }

    [Fact]
    public async Task ListSessions_ExpiredSession_IsNotListed()
    {
        using var harness = await EngineHarness.StartAsync();
        await harness.Engine.CreateLiveAsync("alice", null, false, Ct);
        harness.Time.Advance(TimeSpan.FromDays(29));
        var late = await harness.Engine.CreateLiveAsync("alice", null, false, Ct);
        harness.Time.Advance(TimeSpan.FromDays(2));

        Assert.Equal(late.SessionHandle, Assert.Single((await harness.Engine.ListSessionsAsync("alice", Ct)).Value!).SessionHandle);
    }

    [Fact]
    public async Task IssuedSession_ToString_NeverContainsTokens()
    {
        using var harness = await EngineHarness.StartAsync();
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, true, Ct);

        var text = issued.ToString();

        Assert.DoesNotContain(issued.AccessToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain(issued.RefreshToken, text, StringComparison.Ordinal);
        Assert.DoesNotContain(issued.AntiCsrfToken!, text, StringComparison.Ordinal);
        Assert.Contains(issued.SessionHandle, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TwoReplicas_SharingOneStore_VerifyEachOthersTokensAndRotateOneLineage()
    {
        using var first = await EngineHarness.StartAsync();
        using var second = await EngineHarness.StartAsync(sharedDatabase: first.Database, time: first.Time);
        var issued = await first.Engine.CreateLiveAsync("user-1", null, false, Ct);

        Assert.True(second.Engine.VerifyAccessToken(issued.AccessToken).IsValid);
        var viaSecond = await second.Engine.RefreshAsync(issued.RefreshToken, Ct);
        var retryViaFirst = await first.Engine.RefreshAsync(issued.RefreshToken, Ct);

        Assert.True(viaSecond.IsSuccess);
        Assert.True(retryViaFirst.IsSuccess);
        Assert.Equal(viaSecond.Session.RefreshToken, retryViaFirst.Session.RefreshToken);
        Assert.Equal(first.Engine.JwksJson, second.Engine.JwksJson);
    }
}
