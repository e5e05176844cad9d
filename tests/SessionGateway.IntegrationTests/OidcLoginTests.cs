using System.Runtime.Versioning;
using SessionGateway.Hosting;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// OpenID Connect login without a provider: the configuration checks (an http:// authority off loopback, a missing
/// client id), the rule for where a login may return to (no open redirect; requests sent byte for byte, as a client
/// library would normalise <c>/\host</c>), a provider that cannot be reached (a plain 502 page, not a 500), and
/// <c>RedirectUnauthenticated</c>: page loads go to the login, API calls keep their 401. The login itself, against
/// a real provider in a real browser, is tests/browser/oidc.test.mjs.
/// </summary>
public sealed class OidcLoginTests : IAsyncLifetime
{
    private WireMock.Server.WireMockServer _upstream = null!;
    private TestGateway _gateway = null!;

    // A loopback port where nothing listens: the provider is down.
    private readonly int _deadProviderPort = Upstream.FreePort();

    public async Task InitializeAsync()
    {
        _upstream = Upstream.Start();
        _gateway = await TestGateway.StartAsync(Yaml(_upstream.Url(), $"http://127.0.0.1:{_deadProviderPort}", redirectUnauthenticated: true));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        _upstream.Stop();
    }

    private static string Yaml(string upstreamUrl, string authority, bool redirectUnauthenticated = false, string clientId = "ClientId: gateway") => $$"""
        Session:
          Cors:
            AllowedOrigins: ["https://app.example.com"]
          Oidc:
            {{(redirectUnauthenticated ? "RedirectUnauthenticated: corp" : "")}}
            Providers:
              corp:
                Authority: "{{authority}}"
                {{clientId}}
                ClientSecret: s3cret
                Claims: { groups: role }
        ReverseProxy:
          Routes:
            api:
              ClusterId: app
              Match:
                Path: "/api/{**rest}"
          Clusters:
            app:
              Destinations:
                one:
                  Address: {{upstreamUrl}}
        """;

    /// <summary>
    /// The configuration's problems as a start reports them. A configuration without problems builds the application,
    /// whose session store begins opening in the folder: it is disposed (which waits for that) before the folder goes.
    /// </summary>
    private static async Task<List<string>> ProblemsAsync(string yaml)
    {
        var directory = Path.Combine(Path.GetTempPath(), "sg-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        try
        {
            var path = Path.Combine(directory, "proxy.yaml");
            File.WriteAllText(path, yaml);
            var build = GatewayHost.Build(["--config", path, "--Urls", "http://127.0.0.1:0"]);
            build.ConfigFile?.Dispose();
            if (build.App is { } app)
            {
                await app.DisposeAsync();
            }

            return build.Problems.Select(p => p.ToString()).ToList();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Theory]
    [InlineData("http://login.example.com/realms/main")]
    [InlineData("http://10.0.0.5:8080")]
    public async Task Config_HttpAuthorityOffLoopback_IsRefusedNamingTheKey(string authority)
    {
        var problem = Assert.Single(await ProblemsAsync(Yaml("http://127.0.0.1:1/", authority)));

        // The file and line of the key, the key, and what to do.
        Assert.Matches(@"proxy\.yaml:\d+:\d+: Session:Oidc:Providers:corp:Authority: ", problem);
        Assert.Contains("use https://", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://localhost:8080/realms/dev")]
    [InlineData("http://[::1]:8080")]
    [InlineData("https://login.example.com/realms/main")]
    public async Task Config_HttpsOrLoopbackAuthority_IsAccepted(string authority)
    {
        Assert.Empty(await ProblemsAsync(Yaml("http://127.0.0.1:1/", authority)));
    }

    [Fact]
    public async Task Config_MissingClientId_IsRefusedNamingTheKey()
    {
        var problem = Assert.Single(await ProblemsAsync(Yaml("http://127.0.0.1:1/", "https://login.example.com", clientId: "")));

        Assert.Contains("Session:Oidc:Providers:corp:ClientId", problem, StringComparison.Ordinal);
        Assert.Contains("is required", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_RedirectUnauthenticatedToAnUnknownProvider_IsRefused()
    {
        var yaml = Yaml("http://127.0.0.1:1/", "https://login.example.com", redirectUnauthenticated: true).Replace("RedirectUnauthenticated: corp", "RedirectUnauthenticated: other", StringComparison.Ordinal);

        var problem = Assert.Single(await ProblemsAsync(yaml));

        Assert.Contains("Session:Oidc:RedirectUnauthenticated", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("//evil.example")]
    [InlineData("/\\evil.example")]
    [InlineData("/%5Cevil.example")]
    [InlineData("%2F%2Fevil.example")]
    [InlineData("/%09/evil.example")]
    [InlineData("https://app.example.com.evil.example/")]
    [InlineData("https://app.example.com@evil.example/")]
    [InlineData("javascript:alert(1)")]
    public async Task Login_RedirectElsewhere_IsAPlain400Page(string target)
    {
        var response = await RawClient.SendAsync(_gateway.Address, RawClient.Request("GET", "/api/login/corp?redirect=" + target));

        Assert.Equal(400, response.Status);
        Assert.Null(response.Header("Location"));
        Assert.StartsWith("text/html", response.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Contains("not allowed", response.Body, StringComparison.Ordinal);
        Assert.Contains(_gateway.Logs.Entries, e => e.EventId.Id == 2200);
        Assert.Empty(_upstream.LogEntries);
    }

    [Theory]
    [InlineData("/api/me")]
    [InlineData("%2Fapi%2Fme%3Fa%3Db")]
    [InlineData("https://app.example.com/after")]
    public async Task Login_LocalOrAllowedTarget_GoesOnToTheProvider_HereDown_502Page(string target)
    {
        var response = await RawClient.SendAsync(_gateway.Address, RawClient.Request("GET", "/api/login/corp?redirect=" + target));

        // The target passed; the provider's metadata could not be read: a plain page, not a 500.
        Assert.Equal(502, response.Status);
        Assert.StartsWith("text/html", response.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Contains("could not be reached", response.Body, StringComparison.Ordinal);
        Assert.Contains("href=\"/api/login/corp?redirect=", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", response.Body, StringComparison.Ordinal);
        Assert.Contains(_gateway.Logs.Entries, e => e.EventId.Id == 2201);
    }

    [Theory]
    [InlineData("/api/callback/corp")]
    [InlineData("/api/callback/corp?code=abc")]
    [InlineData("/api/callback/corp?error=access_denied")]
    public async Task Callback_WithoutAState_IsA400Page(string target)
    {
        var response = await RawClient.SendAsync(_gateway.Address, RawClient.Request("GET", target));

        Assert.Equal(400, response.Status);
        Assert.StartsWith("text/html", response.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Contains("does not match a sign-in started in this browser", response.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(response.Headers, h => h.Key.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase) && h.Value.StartsWith("sAccessToken=", StringComparison.Ordinal));
        Assert.Contains(_gateway.Logs.Entries, e => e.EventId.Id == 2202);
    }

    [Fact]
    public async Task Callback_WithAForgedState_IsA400Page()
    {
        var response = await RawClient.SendAsync(_gateway.Address, RawClient.Request("GET", "/api/callback/corp?code=abc&state=forged"));

        Assert.Equal(400, response.Status);
        Assert.Contains("does not match a sign-in started in this browser", response.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/callback/corp")]
    [InlineData("/api/logout-callback/corp")]
    public async Task Callback_PostWithAHugeBody_Is405_WithoutReadingTheBody(string path)
    {
        // 25 MB announced, none sent: a handler reading the form would wait for it until the timeout below.
        var request = RawClient.Request("POST", path, "Content-Type: application/x-www-form-urlencoded", "Content-Length: 26214400");

        var response = await RawClient.SendAsync(_gateway.Address, request).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(405, response.Status);
        Assert.Equal("GET, HEAD", response.Header("Allow"));
        Assert.DoesNotContain(_gateway.Logs.Entries, e => e.EventId.Id is 2202 or 2205);
    }

    [Theory]
    [InlineData("/%C3%A9", "/%C3%A9")]
    [InlineData("%2F%C3%A9%3Fx%3D%E2%82%AC", "/%C3%A9?x=%E2%82%AC")]
    [InlineData("https://app.example.com/%E2%82%AC", "https://app.example.com/%E2%82%AC")]
    public async Task Logout_NonAsciiTarget_IsPercentEncodedInLocation(string target, string location)
    {
        var response = await RawClient.SendAsync(_gateway.Address, RawClient.Request("GET", "/api/logout/corp?redirect=" + target, "Sec-Fetch-Site: same-origin"));

        Assert.Equal(302, response.Status);
        Assert.Equal(location, response.Header("Location"));
        Assert.Contains(response.Headers, h => h.Key.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase) && h.Value.StartsWith("sAccessToken=;", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/%C3%A9")]
    [InlineData("%2F%C3%A9")]
    public async Task Login_NonAsciiTarget_IsAccepted_AndPercentEncodedInTheRetryLink(string target)
    {
        var response = await RawClient.SendAsync(_gateway.Address, RawClient.Request("GET", "/api/login/corp?redirect=" + target));

        // The target passed (the provider is down here: the 502 page); the login's return address is the one
        // RedirectTargets returns, also put into Location after the callback, so it must be ASCII.
        Assert.Equal(502, response.Status);
        Assert.Contains("href=\"/api/login/corp?redirect=%2F%25C3%25A9\"", response.Body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")]
    [InlineData("Accept: text/html")]
    public async Task PageLoadWithoutSession_IsRedirectedToTheLogin(string accept)
    {
        var response = await RawClient.SendAsync(_gateway.Address, RawClient.Request("GET", "/api/orders?page=2", accept));

        Assert.Equal(302, response.Status);
        Assert.Equal("/api/login/corp?redirect=%2Fapi%2Forders%3Fpage%3D2", response.Header("Location"));
        Assert.Empty(_upstream.LogEntries);
    }

    [Theory]
    [InlineData("GET", "Accept: application/json")]
    [InlineData("GET", "Accept: */*")]
    [InlineData("GET", "Accept: text/html", "rid: session")]
    [InlineData("GET", "Accept: text/html", "st-auth-mode: header")]
    [InlineData("POST", "Accept: text/html", "Content-Length: 0")]
    public async Task ApiCallWithoutSession_Keeps401(string method, params string[] headers)
    {
        var response = await RawClient.SendAsync(_gateway.Address, RawClient.Request(method, "/api/orders", headers));

        Assert.Equal(401, response.Status);
        Assert.Null(response.Header("Location"));
        Assert.Equal("""{"message":"unauthorised"}""", response.Body);
    }

    [Fact]
    public async Task PageLoadWithoutSession_WithoutRedirectUnauthenticated_Is401()
    {
        await using var gateway = await TestGateway.StartAsync(Yaml(_upstream.Url(), $"http://127.0.0.1:{_deadProviderPort}"));

        var response = await RawClient.SendAsync(gateway.Address, RawClient.Request("GET", "/api/orders", "Accept: text/html"));

        Assert.Equal(401, response.Status);
    }

    [Fact]
    public async Task LoginAndCallback_AreRateLimitedPerClientAddress()
    {
        var yaml = Yaml(_upstream.Url(), $"http://127.0.0.1:{_deadProviderPort}").Replace(
            "Session:\n", "Session:\n  RateLimits:\n    Login: { PermitLimit: 2 }\n", StringComparison.Ordinal);
        await using var gateway = await TestGateway.StartAsync(yaml);

        var first = await RawClient.SendAsync(gateway.Address, RawClient.Request("GET", "/api/login/corp?redirect=//evil.example"));
        var second = await RawClient.SendAsync(gateway.Address, RawClient.Request("GET", "/api/callback/corp?state=x"));
        var third = await RawClient.SendAsync(gateway.Address, RawClient.Request("GET", "/api/login/corp"));

        Assert.Equal(400, first.Status);
        Assert.Equal(400, second.Status);
        Assert.Equal(429, third.Status);
        Assert.NotNull(third.Header("Retry-After"));
    }

    [Fact]
    public async Task ForwardAuthDecision_ForAPageLoadWithoutSession_Stays401()
    {
        var yaml = Yaml(_upstream.Url(), $"http://127.0.0.1:{_deadProviderPort}", redirectUnauthenticated: true).Replace(
            "Session:\n", "Session:\n  ForwardAuth:\n    Path: /auth/verify\n", StringComparison.Ordinal);
        await using var gateway = await TestGateway.StartAsync(yaml);

        // nginx's auth_request turns any answer but 2xx, 401 and 403 into a 500: a decision is never a redirect.
        var response = await RawClient.SendAsync(gateway.Address, RawClient.Request(
            "GET", "/auth/verify", "X-Original-Method: GET", "X-Original-URI: /api/orders", "Accept: text/html"));

        Assert.True(response.Status == 401, $"{response.Status} {response.Header("Location")} {response.Body}");
        Assert.Null(response.Header("Location"));
    }

    [Fact]
    public async Task Logout_CrossSite_IsRefused()
    {
        var response = await RawClient.SendAsync(_gateway.Address, RawClient.Request("GET", "/api/logout/corp?redirect=/", "Sec-Fetch-Site: cross-site", "Cookie: sAccessToken=x"));

        Assert.Equal(400, response.Status);
        Assert.DoesNotContain(response.Headers, h => h.Key.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(_gateway.Logs.Entries, e => e.EventId.Id == 2206);
    }

    [Theory]
    [InlineData("Sec-Fetch-Site: same-origin")]
    [InlineData("Sec-Fetch-Site: none")]
    public async Task Logout_SameSite_ClearsTheSessionAndGoesToTheTarget(string fetchSite)
    {
        var response = await RawClient.SendAsync(_gateway.Address, RawClient.Request("GET", "/api/logout/corp?redirect=/bye", fetchSite));

        Assert.Equal(302, response.Status);
        Assert.Equal("/bye", response.Header("Location"));
        Assert.Contains(response.Headers, h => h.Key.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase) && h.Value.StartsWith("sAccessToken=;", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, true)]
    [InlineData(UnixFileMode.UserRead | UnixFileMode.UserWrite, false)]
    [UnsupportedOSPlatform("windows")]
    public async Task ClientSecretFile_ReadableByOthers_IsWarnedAtStart(UnixFileMode mode, bool warned)
    {
        var secret = Path.Combine(Path.GetTempPath(), "sg-secret-" + Guid.NewGuid().ToString("N"));
        await File.WriteAllTextAsync(secret, "s3cret\n");
        File.SetUnixFileMode(secret, mode);
        try
        {
            var yaml = Yaml(_upstream.Url(), $"http://127.0.0.1:{_deadProviderPort}").Replace("ClientSecret: s3cret", $"ClientSecretFile: {secret}", StringComparison.Ordinal);
            await using var gateway = await TestGateway.StartAsync(yaml);

            Assert.Equal(warned, gateway.Logs.Entries.Any(e => e.EventId.Id == 2209 && e.Message.Contains(secret, StringComparison.Ordinal)));
            Assert.DoesNotContain(gateway.Logs.Entries, e => e.Message.Contains("s3cret", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(secret);
        }
    }
}
