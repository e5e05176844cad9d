using System.Buffers.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using SessionGateway.Assertions;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Tests.Engine;
using SessionGateway.Tokens;
using Yarp.ReverseProxy.Configuration;

namespace SessionGateway.Tests.Assertions;

public sealed class SessionAssertionsTests
{
    private static SessionAssertions Create(EngineHarness harness, AssertionSettings? assertion = null) => new(
        new SessionSettings { Assertion = assertion ?? new AssertionSettings() },
        new AssertionIssuer(harness.Keys, harness.Options),
        harness.Time,
        NullLogger<SessionAssertions>.Instance);

    private static RouteConfig Route(string? cluster, params (string Key, string Value)[] metadata) => new()
    {
        RouteId = "r",
        ClusterId = cluster,
        Metadata = metadata.Length == 0 ? null : metadata.ToDictionary(m => m.Key, m => m.Value, StringComparer.OrdinalIgnoreCase),
    };

    private static async Task<VerifiedAccessToken> SessionAsync(EngineHarness harness)
    {
        var issued = await harness.Engine.CreateLiveAsync("user-1", null, false, CancellationToken.None);
        return harness.Engine.VerifyAccessToken(issued.AccessToken).Token!;
    }

    private static JsonElement Payload(string token)
    {
        using var document = JsonDocument.Parse(Base64Url.DecodeFromChars(token.Split('.')[1]));
        return document.RootElement.Clone();
    }

    public static TheoryData<bool, string?, string?, string?, string?> Audiences => new()
    {
        // allRoutes, cluster, SessionAssertion, SessionAssertionAudience, expected audience
        { false, "app", null, null, null },
        { false, "app", "true", null, "app" },
        { false, "app", "true", "orders", "orders" },
        { false, "app", "false", "orders", null },
        { false, "app", null, "orders", null },
        { true, "app", null, null, "app" },
        { true, "app", null, "orders", "orders" },
        { true, "app", "false", null, null },
        { true, null, null, null, null },
    };

    [Theory]
    [MemberData(nameof(Audiences))]
    public async Task AudienceFor_OptInAllRoutesAndOverride_GiveTheAudienceOrNone(bool allRoutes, string? cluster, string? optIn, string? audience, string? expected)
    {
        using var harness = await EngineHarness.StartAsync();
        var assertions = Create(harness, new AssertionSettings { AllRoutes = allRoutes });
        var metadata = new List<(string, string)>();
        if (optIn is not null)
        {
            metadata.Add(("SessionAssertion", optIn));
        }

        if (audience is not null)
        {
            metadata.Add(("SessionAssertionAudience", audience));
        }

        Assert.Equal(expected, assertions.AudienceFor(Route(cluster, [.. metadata])));
    }

    [Fact]
    public async Task AudienceFor_NoRoute_IsNone()
    {
        using var harness = await EngineHarness.StartAsync();

        Assert.Null(Create(harness, new AssertionSettings { AllRoutes = true }).AudienceFor(null));
    }

    [Fact]
    public async Task Get_SameTokenAndAudience_IsTheCachedAssertionUntilTenSecondsAreLeft_ThenANewOne()
    {
        using var harness = await EngineHarness.StartAsync();
        var assertions = Create(harness);
        var token = await SessionAsync(harness);

        var first = assertions.Get(token, "orders");
        harness.Time.Advance(TimeSpan.FromSeconds(49));
        var stillCached = assertions.Get(token, "orders");
        var otherAudience = assertions.Get(token, "billing");
        harness.Time.Advance(TimeSpan.FromSeconds(2));
        var renewed = assertions.Get(token, "orders");

        Assert.Same(first, stillCached);
        Assert.NotEqual(first, otherAudience);
        Assert.NotEqual(first, renewed);
        Assert.Equal("billing", Payload(otherAudience).GetProperty("aud").GetString());
        Assert.Equal(harness.Time.GetUtcNow().ToUnixTimeSeconds(), Payload(renewed).GetProperty("iat").GetInt64());
    }

    [Fact]
    public async Task Get_ShortLifetime_IsRenewedWithAQuarterLeft()
    {
        using var harness = await EngineHarness.StartAsync();
        var assertions = Create(harness, new AssertionSettings { Lifetime = TimeSpan.FromSeconds(8) });
        var token = await SessionAsync(harness);

        var first = assertions.Get(token, "orders");
        harness.Time.Advance(TimeSpan.FromSeconds(5.5));
        var stillCached = assertions.Get(token, "orders");
        harness.Time.Advance(TimeSpan.FromSeconds(1));
        var renewed = assertions.Get(token, "orders");

        Assert.Same(first, stillCached);
        Assert.NotEqual(first, renewed);
    }

    [Fact]
    public async Task Get_CappedAtTheAccessTokensExpiry_IsKeptToTheEnd()
    {
        using var harness = await EngineHarness.StartAsync();
        var assertions = Create(harness);
        var token = await SessionAsync(harness);
        harness.Time.SetUtcNow(token.Expires - TimeSpan.FromSeconds(20));

        var capped = assertions.Get(token, "orders");
        harness.Time.Advance(TimeSpan.FromSeconds(19.5));
        var atTheEnd = assertions.Get(token, "orders");

        Assert.Equal(token.Expires.ToUnixTimeSeconds(), Payload(capped).GetProperty("exp").GetInt64());
        Assert.Same(capped, atTheEnd);
    }
}
