using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SessionGateway.Storage;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// <c>Session:RateLimits</c>: refresh and login per client address, 429 with <c>Retry-After</c>. A second address is
/// a real one: the client binds 127.0.0.2 (see <see cref="SourceAddress"/>).
/// </summary>
public sealed class RateLimitTests
{
    private const string TooMany = """{"message":"too many requests, try again later"}""";
    private static readonly IPAddress OtherAddress = IPAddress.Parse("127.0.0.2");

    private static SessionHarnessOptions Limits(string policy, int permits, string window) => new()
    {
        ExtraSessionYaml = $"  RateLimits:\n    {policy}:\n      PermitLimit: {permits}\n      Window: {window}",
    };

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        request.Headers.Add("rid", "session");
        return await http.SendAsync(request);
    }

    [Fact]
    public async Task Refresh_OverTheLimit_Is429WithRetryAfter_SpendsNoToken_AndAnotherAddressIsNotAffected()
    {
        await using var harness = await SessionHarness.StartAsync(Limits("Refresh", 3, "1m"));
        var alice = await harness.LoginAsync(TokenMode.Cookie, "alice");
        for (var i = 0; i < 3; i++)
        {
            using var refreshed = await alice.RefreshAsync();
            Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        }

        var token = alice.RefreshToken;
        using var limited = await alice.RefreshAsync();

        await Wire.AssertJsonAsync(limited, 429, TooMany);
        Assert.Equal("60", Wire.Header(limited, "Retry-After"));
        Wire.AssertSessionUntouched(limited);
        var logged = Assert.Single(harness.Gateway.Logs.Entries, e => e.EventId.Id == 2150);
        Assert.Equal(LogLevel.Warning, logged.Level);
        Assert.Contains("session-refresh exceeded by 127.0.0.1", logged.Message, StringComparison.Ordinal);

        // Another client address has its own window; and the refused refresh did not spend the token.
        using var other = SourceAddress.ClientFrom(OtherAddress, harness.Gateway.Address);
        alice.Http = other;
        using var fromOther = await alice.RefreshAsync();
        Assert.Equal(HttpStatusCode.OK, fromOther.StatusCode);
        Assert.NotEqual(token, alice.RefreshToken);
        Assert.DoesNotContain(
            await harness.Gateway.Services.GetRequiredService<ISessionStore>().ListAuditEventsAsync("alice", CancellationToken.None),
            e => e.Kind.StartsWith("token-theft:", StringComparison.Ordinal)); // no theft
    }

    [Fact]
    public async Task Login_OverTheLimit_Is429AndNeverReachesTheUpstream_AndAnotherAddressIsNotAffected()
    {
        await using var harness = await SessionHarness.StartAsync(Limits("Login", 2, "1m"));
        var path = harness.MapLogin("alice");
        for (var i = 0; i < 2; i++)
        {
            await harness.LoginAsync(TokenMode.Cookie, "alice");
        }

        using var limited = await harness.NewClient(TokenMode.Cookie).LoginAsync(path);

        await Wire.AssertJsonAsync(limited, 429, TooMany);
        Assert.Equal("60", Wire.Header(limited, "Retry-After"));
        Wire.AssertSessionUntouched(limited);
        Assert.Equal(2, harness.UpstreamRequests(path).Count);
        Assert.Contains(harness.Gateway.Logs.Entries, e => e.EventId.Id == 2150 && e.Message.Contains("session-login exceeded by 127.0.0.1 on /login/alice", StringComparison.Ordinal));

        using var other = SourceAddress.ClientFrom(OtherAddress, harness.Gateway.Address);
        var fromOther = new SessionClient(other, TokenMode.Cookie);
        using var loggedIn = await fromOther.LoginAsync(path);
        Assert.Equal(HttpStatusCode.OK, loggedIn.StatusCode);
        Assert.NotNull(fromOther.RefreshToken);
    }

    [Fact]
    public async Task Rejection_IsLoggedWithThePathEscaped_SoAPathCannotForgeLogLines()
    {
        await using var harness = await SessionHarness.StartAsync(Limits("Login", 1, "1m"));
        var request = RawClient.Request("POST", "/login/x%0D%0A2026-01-01%20forged%20entry", "rid: session", "Content-Length: 0");

        await RawClient.SendAsync(harness.Gateway.Address, request);
        var limited = await RawClient.SendAsync(harness.Gateway.Address, request);

        Assert.Equal(429, limited.Status);
        var logged = Assert.Single(harness.Gateway.Logs.Entries, e => e.EventId.Id == 2150);
        Assert.DoesNotContain('\r', logged.Message);
        Assert.DoesNotContain('\n', logged.Message);
        Assert.Contains("on /login/x%0D%0A2026-01-01%20forged%20entry:", logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Window_AfterRetryAfter_RequestsAreAllowedAgain()
    {
        // ASP.NET Core's rate limiters run on the real clock (no TimeProvider), so this window is real and short.
        await using var harness = await SessionHarness.StartAsync(Limits("Refresh", 1, "1s"));
        using (var first = await PostAsync(harness.Http, SessionHarness.RefreshPath))
        {
            Assert.Equal((HttpStatusCode)440, first.StatusCode); // no token: unauthorised, but counted
        }

        using (var limited = await PostAsync(harness.Http, SessionHarness.RefreshPath))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal("1", Wire.Header(limited, "Retry-After"));
        }

        await TestGateway.WaitUntilAsync(
            async () =>
            {
                using var again = await PostAsync(harness.Http, SessionHarness.RefreshPath);
                return again.StatusCode == (HttpStatusCode)440;
            },
            "the next window lets a refresh through",
            TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Defaults_AreOn_60RefreshesAnd20LoginsPerMinutePerAddress()
    {
        await using var harness = await SessionHarness.StartAsync();
        var path = harness.MapLogin("alice");

        var refreshes = new List<HttpStatusCode>();
        for (var i = 0; i < 61; i++)
        {
            using var response = await PostAsync(harness.Http, SessionHarness.RefreshPath);
            refreshes.Add(response.StatusCode);
        }

        var logins = new List<HttpStatusCode>();
        for (var i = 0; i < 21; i++)
        {
            using var response = await harness.NewClient(TokenMode.Cookie).LoginAsync(path);
            logins.Add(response.StatusCode);
        }

        Assert.All(refreshes[..60], status => Assert.Equal((HttpStatusCode)440, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, refreshes[60]);
        Assert.All(logins[..20], status => Assert.Equal(HttpStatusCode.OK, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, logins[20]);
    }

    [Fact]
    public async Task Disabled_NoLimit()
    {
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            ExtraSessionYaml = "  RateLimits:\n    Refresh:\n      Enabled: false\n      PermitLimit: 1",
        });

        for (var i = 0; i < 5; i++)
        {
            using var response = await PostAsync(harness.Http, SessionHarness.RefreshPath);
            Assert.Equal((HttpStatusCode)440, response.StatusCode);
        }
    }

    [Fact]
    public async Task BehindAProxy_WithForwardedHeadersEnabled_EachForwardedClientHasItsOwnWindow()
    {
        // ASP.NET Core's own switch (environment variable ForwardedHeaders_Enabled=true): RemoteIpAddress becomes the
        // address in X-Forwarded-For, so clients behind one proxy do not share a window.
        await using var gateway = await TestGateway.StartAsync(
            "Session:\n  RateLimits:\n    Refresh:\n      PermitLimit: 1\nReverseProxy: {}\n", "--ForwardedHeaders_Enabled=true");
        var statuses = new List<HttpStatusCode>();
        foreach (var client in new[] { "203.0.113.7", "203.0.113.8", "203.0.113.8" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, SessionHarness.RefreshPath);
            request.Headers.Add("X-Forwarded-For", client);
            using var response = await gateway.Client.SendAsync(request);
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([(HttpStatusCode)440, (HttpStatusCode)440, HttpStatusCode.TooManyRequests], statuses);
        Assert.Contains(gateway.Logs.Entries, e => e.EventId.Id == 2150 && e.Message.Contains("exceeded by 203.0.113.8", StringComparison.Ordinal));
    }
}
