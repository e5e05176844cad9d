using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests;

/// <summary>
/// The path the upstream receives is the path the route and its policy judged. An attacker with a session but
/// without the admin role tries every spelling that some upstream (Tomcat and Jetty strip <c>;…</c>, Spring and
/// nginx merge slashes, some decode <c>%2F</c> or read <c>\</c> as <c>/</c>) would serve as <c>/admin/x</c>: each is
/// refused with 400 before routing, or judged and forwarded as the one normalised path. Requests go over a raw
/// socket (a client library would normalise them) to an upstream that records the request target byte for byte.
/// </summary>
public sealed class RequestPathTests : RawUpstreamHarnessTest
{
    private string _cookie = null!;

    private protected override async Task StartedAsync()
    {
        var bob = await Harness.CreateSessionAsync("bob", """{"role":"staff"}""");
        _cookie = "Cookie: sAccessToken=" + bob.AccessToken;
    }

    [Theory]
    [InlineData("/public/..;/admin/x", "path parameter")]
    [InlineData("/admin;jsessionid=1/x", "path parameter")]
    [InlineData("/public/..;jsessionid=1/admin/x", "path parameter")]
    [InlineData("/public/..%3B/admin/x", "path parameter")]
    [InlineData("/public/..%2fadmin/x", "encoded slash")]
    [InlineData("/public/%2F..%2Fadmin/x", "encoded slash")]
    [InlineData("/public/..%252Fadmin/x", "encoded slash")]
    [InlineData("/public\\..\\admin/x", "backslash")]
    [InlineData("/public/..\\admin/x", "backslash")]
    [InlineData("/public/%5C..%5Cadmin/x", "backslash")]
    [InlineData("http://127.0.0.1/public/..;/admin/x", "path parameter")]
    public async Task AmbiguousPath_IsRefusedWith400BeforeRouting(string target, string reason)
    {
        var response = await RawClient.GetAsync(Harness.Gateway.Address, target, _cookie);

        Assert.Equal(400, response.Status);
        Assert.Equal($$"""{"message":"request path refused: {{reason}}"}""", response.Body);
        Assert.Equal("application/json", response.Header("Content-Type"));
        Assert.Equal("no-store", response.Header("Cache-Control"));
        Assert.Empty(Upstream.Requests);
    }

    [Theory]
    [InlineData("//admin/x")]
    [InlineData("///admin///x")]
    [InlineData("/public/%2e%2e/admin/x")]
    [InlineData("/public/.%2E/admin/x")]
    [InlineData("http://127.0.0.1//admin/x")]
    public async Task PathThatIsAdminOnceNormalised_IsJudgedByTheAdminPolicy(string target)
    {
        var response = await RawClient.GetAsync(Harness.Gateway.Address, target, _cookie);

        Assert.Equal(403, response.Status);
        Assert.Empty(Upstream.Requests);
    }

    [Theory]
    [InlineData("//public//a///b", "/public/a/b")]
    [InlineData("/public/a/./b/../c", "/public/a/c")]
    [InlineData("/public//..//admin/x", "/public/admin/x")]
    [InlineData("/public/%61%62", "/public/ab")]
    [InlineData("/public/%2561dmin", "/public/%2561dmin")]
    [InlineData("/public/caf%C3%A9", "/public/caf%C3%A9")]
    [InlineData("/public/x?next=/../admin;x", "/public/x?next=/../admin;x")]
    public async Task ForwardedPath_IsExactlyTheNormalisedPathTheRouteJudged(string target, string forwarded)
    {
        var response = await RawClient.GetAsync(Harness.Gateway.Address, target, _cookie);

        Assert.Equal(200, response.Status);
        Assert.Equal(forwarded, Upstream.Single().Target);
    }

    [Fact]
    public async Task AdminWithAPathParameter_WithTheAdminRole_IsStillRefused()
    {
        // Refusal does not depend on who asks: the path itself is ambiguous.
        var admin = await Harness.CreateSessionAsync("alice", """{"role":"admin"}""");

        var response = await RawClient.GetAsync(Harness.Gateway.Address, "/admin;jsessionid=1/x", "Cookie: sAccessToken=" + admin.AccessToken);

        Assert.Equal(400, response.Status);
        Assert.Empty(Upstream.Requests);
    }

    [Fact]
    public async Task RefusedPath_IsLoggedWithItsReasonAndEscaped()
    {
        await RawClient.GetAsync(Harness.Gateway.Address, "/public/..;/admin/%0A%1Bx", _cookie);

        var entry = Assert.Single(Harness.Gateway.Logs.Entries, e => e.EventId.Id == 2101);
        Assert.Contains("path parameter", entry.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(entry.Message, c => char.IsControl(c));
    }
}

/// <summary>The <c>Session:Paths</c> settings that relax the defaults do what the documentation says.</summary>
public sealed class RequestPathSettingsTests
{
    [Fact]
    public async Task EscapedSlashesUnescape_DecodesThenJudgesAndForwardsTheResult()
    {
        await using var upstream = RawUpstream.Start();
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            UpstreamAddress = upstream.Url,
            ExtraSessionYaml = "  Paths:\n    EscapedSlashes: unescape",
        });
        var cookie = "Cookie: sAccessToken=" + (await harness.CreateSessionAsync("bob")).AccessToken;

        var admin = await RawClient.GetAsync(harness.Gateway.Address, "/public/..%2Fadmin/x", cookie);
        var files = await RawClient.GetAsync(harness.Gateway.Address, "/public/a%2Fb%2F%2Fc", cookie);

        Assert.Equal(403, admin.Status);
        Assert.Equal(200, files.Status);
        Assert.Equal("/public/a/b/c", upstream.Single().Target);
    }

    [Fact]
    public async Task KeepSettings_ForwardTheCharactersAsJudged()
    {
        await using var upstream = RawUpstream.Start();
        await using var harness = await SessionHarness.StartAsync(new SessionHarnessOptions
        {
            UpstreamAddress = upstream.Url,
            ExtraSessionYaml = "  Paths:\n    MergeSlashes: false\n    EscapedSlashes: keep\n    PathParameters: keep\n    Backslashes: keep",
        });

        var response = await RawClient.GetAsync(harness.Gateway.Address, "/public/a;v=2//b%2Fc\\d");

        Assert.Equal(200, response.Status);

        // YARP escapes '%' and '\' on the way out, so the upstream decodes exactly the judged text: the encoded
        // slash arrives as the characters "%2F", never as a separator.
        Assert.Equal("/public/a;v=2//b%252Fc%5Cd", upstream.Single().Target);
    }
}

/// <summary><c>Session:Paths</c> is read per request: an edit of proxy.yaml applies without a restart.</summary>
public sealed class RequestPathReloadTests
{
    [Fact]
    public async Task EditedPathSettings_ApplyToTheNextRequest()
    {
        await using var upstream = RawUpstream.Start();
        await using var gateway = await TestGateway.StartAsync(Upstream.CatchAllYaml(upstream.Url));
        Assert.Equal(400, (await RawClient.GetAsync(gateway.Address, "/items;v=2")).Status);

        await File.WriteAllTextAsync(gateway.ConfigPath, "Session:\n  Paths:\n    PathParameters: keep\n" + Upstream.CatchAllYaml(upstream.Url));

        await TestGateway.WaitUntilAsync(async () => (await RawClient.GetAsync(gateway.Address, "/items;v=2")).Status == 200, "path parameters are kept");
        Assert.Equal("/items;v=2", upstream.Requests[^1].Target);
    }
}
