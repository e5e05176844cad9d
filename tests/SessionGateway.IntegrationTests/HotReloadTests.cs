using System.Net;
using Microsoft.Extensions.DependencyInjection;
using SessionGateway.IntegrationTests.Infrastructure;
using SessionGateway.Sessions;

namespace SessionGateway.IntegrationTests;

public sealed class HotReloadTests
{
    private static string Yaml(string upstreamUrl, string routes) => $$"""
        ReverseProxy:
          Routes:
        {{routes}}
          Clusters:
            app:
              Destinations:
                one:
                  Address: {{upstreamUrl}}
        """;

    private const string RouteA = """
            a:
              ClusterId: app
              AuthorizationPolicy: anonymous
              Match:
                Path: /a
        """;

    private const string RouteB = """
            b:
              ClusterId: app
              AuthorizationPolicy: anonymous
              Match:
                Path: /b
        """;

    [Fact]
    public async Task EditedProxyYaml_NewRouteIsServed_BrokenEditsAreIgnoredAndLogged()
    {
        using var upstream = Upstream.Start();
        await using var gateway = await TestGateway.StartAsync(Yaml(upstream.Url(), RouteA));
        Assert.Equal(HttpStatusCode.OK, await gateway.StatusOfAsync("/a"));
        // No route: the fallback policy (a session is required) answers before any 404.
        Assert.Equal(HttpStatusCode.Unauthorized, await gateway.StatusOfAsync("/b"));

        // A valid edit: route b appears without a restart.
        await File.WriteAllTextAsync(gateway.ConfigPath, Yaml(upstream.Url(), RouteA + "\n" + RouteB));
        await TestGateway.WaitUntilAsync(async () => await gateway.StatusOfAsync("/b") == HttpStatusCode.OK, "route b is served");

        // A broken edit (route to a missing cluster): rejected, logged with the line, last good config kept.
        var broken = Yaml(upstream.Url(), RouteA + "\n" + """
                c:
                  ClusterId: nowhere
                  AuthorizationPolicy: anonymous
                  Match:
                    Path: /c
            """);
        await File.WriteAllTextAsync(gateway.ConfigPath, broken);
        await TestGateway.WaitUntilAsync(
            () => Task.FromResult(gateway.Logs.Entries.Any(e => e.EventId.Id == 4002 && e.Message.Contains("'nowhere'", StringComparison.Ordinal))),
            "the broken edit is reported");
        var report = gateway.Logs.Entries.First(e => e.EventId.Id == 4002);
        Assert.Contains(gateway.ConfigPath + ":9:7:", report.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await gateway.StatusOfAsync("/b"));
        Assert.Equal(HttpStatusCode.Unauthorized, await gateway.StatusOfAsync("/c"));

        // Invalid YAML: same story.
        await File.WriteAllTextAsync(gateway.ConfigPath, "ReverseProxy:\n  Routes: [unclosed\n");
        await TestGateway.WaitUntilAsync(
            () => Task.FromResult(gateway.Logs.Entries.Any(e => e.EventId.Id == 4002 && e.Message.Contains("invalid YAML", StringComparison.Ordinal))),
            "the invalid YAML is reported");
        Assert.Equal(HttpStatusCode.OK, await gateway.StatusOfAsync("/a"));
        Assert.Equal(HttpStatusCode.OK, await gateway.StatusOfAsync("/b"));
    }

    [Fact]
    public async Task ConfigMapStyleUpdate_SwappingTheDataLinkOfASymlinkedFile_IsApplied()
    {
        using var upstream = Upstream.Start();
        await using var gateway = await TestGateway.StartAsync(Yaml(upstream.Url(), RouteA));
        Assert.Equal(HttpStatusCode.Unauthorized, await gateway.StatusOfAsync("/b"));

        // A Kubernetes ConfigMap volume: proxy.yaml -> ..data/proxy.yaml, ..data -> ..<version>. An update writes a
        // new version folder and renames a new ..data link over the old one: no event names proxy.yaml itself.
        var folder = gateway.Directory;
        Directory.CreateDirectory(Path.Combine(folder, "..v1"));
        await File.WriteAllTextAsync(Path.Combine(folder, "..v1", "proxy.yaml"), await File.ReadAllTextAsync(gateway.ConfigPath));
        Directory.CreateSymbolicLink(Path.Combine(folder, "..data"), "..v1");
        File.CreateSymbolicLink(Path.Combine(folder, "proxy.yaml.link"), Path.Combine("..data", "proxy.yaml"));
        await RenameAsync(folder, "proxy.yaml.link", "proxy.yaml");

        Directory.CreateDirectory(Path.Combine(folder, "..v2"));
        await File.WriteAllTextAsync(Path.Combine(folder, "..v2", "proxy.yaml"), Yaml(upstream.Url(), RouteA + "\n" + RouteB));
        Directory.CreateSymbolicLink(Path.Combine(folder, "..data_tmp"), "..v2");
        await RenameAsync(folder, "..data_tmp", "..data");

        await TestGateway.WaitUntilAsync(async () => await gateway.StatusOfAsync("/b") == HttpStatusCode.OK, "route b is served");
    }

    /// <summary>rename(2) of a link over another, as kubelet does (mv -T: no unlink first).</summary>
    private static async Task RenameAsync(string folder, string from, string to)
    {
        using var mv = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("mv", ["-T", from, to]) { WorkingDirectory = folder })!;
        await mv.WaitForExitAsync();
        Assert.Equal(0, mv.ExitCode);
    }

    [Fact]
    public async Task EditedProxyYaml_ChangingARoutesPolicy_AppliesTheNewPolicyToTheNextRequest()
    {
        // Route policies are worked out once per endpoint and remembered (RouteAccessPolicies); a reload must not
        // leave a route under its old policy: anonymous -> default -> a claim policy -> anonymous, each through a
        // real edit of proxy.yaml.
        using var upstream = Upstream.Start();
        const string policies = "Session:\n  Policies:\n    admin:\n      RequireClaims:\n        role: admin\n";
        string WithPolicy(string policy) => policies + Yaml(upstream.Url(), $$"""
                a:
                  ClusterId: app
                  AuthorizationPolicy: {{policy}}
                  Match:
                    Path: /a
            """);
        await using var gateway = await TestGateway.StartAsync(WithPolicy("anonymous"));
        var engine = gateway.Services.GetRequiredService<SessionEngine>();
        var bob = (await engine.CreateAsync("bob", null, withAntiCsrfToken: false, CancellationToken.None)).Value!;
        async Task<HttpResponseMessage> GetAsync(string path, string? token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            if (token is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            return await gateway.Client.SendAsync(request);
        }

        async Task<HttpStatusCode> StatusAsync(string path, string? token)
        {
            using var response = await GetAsync(path, token);
            return response.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/a", null));

        await File.WriteAllTextAsync(gateway.ConfigPath, WithPolicy("default"));
        await TestGateway.WaitUntilAsync(async () => await StatusAsync("/a", null) == HttpStatusCode.Unauthorized, "route a needs a session");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/a", bob.AccessToken));
        Assert.Equal("bob", upstream.LastRequest().RequestMessage.Header("X-User-Id"));

        await File.WriteAllTextAsync(gateway.ConfigPath, WithPolicy("admin"));
        await TestGateway.WaitUntilAsync(async () => await StatusAsync("/a", bob.AccessToken) == HttpStatusCode.Forbidden, "route a needs the admin claim");
        using (var forbidden = await GetAsync("/a", bob.AccessToken))
        {
            Assert.Contains("\"invalid claim\"", await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("/a", null));

        await File.WriteAllTextAsync(gateway.ConfigPath, WithPolicy("anonymous"));
        await TestGateway.WaitUntilAsync(async () => await StatusAsync("/a", null) == HttpStatusCode.OK, "route a is public again");
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/a", bob.AccessToken));
        Assert.Equal("bob", upstream.LastRequest().RequestMessage.Header("X-User-Id"));

        // No route at all: the fallback policy, so no session is 401 and a session gets the router's 404.
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("/nowhere", null));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync("/nowhere", bob.AccessToken));
    }

    [Fact]
    public async Task EditedProxyYaml_ChangingReloadableSessionKeys_AppliesThemToTheNextRequest()
    {
        // The Session section is bound once per version of the configuration and shared (SessionSettingsBinder):
        // a reload must still reach every reader, the identity header transform and the refresh endpoint here.
        using var upstream = Upstream.Start();
        string WithSession(string userIdHeader, int expiredStatus) => $$"""
            Session:
              ExpiredStatusCode: {{expiredStatus}}
              Headers:
                UserId: {{userIdHeader}}
            """ + "\n" + Yaml(upstream.Url(), """
                a:
                  ClusterId: app
                  AuthorizationPolicy: default
                  Match:
                    Path: /a
            """);
        await using var gateway = await TestGateway.StartAsync(WithSession("X-User-Id", 440));
        var engine = gateway.Services.GetRequiredService<SessionEngine>();
        var bob = (await engine.CreateAsync("bob", null, withAntiCsrfToken: false, CancellationToken.None)).Value!;

        async Task<string?> UserHeaderAsync(string name)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/a");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bob.AccessToken);
            using var response = await gateway.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return upstream.LastRequest().RequestMessage.Header(name);
        }

        async Task<int> UnknownRefreshStatusAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/refresh");
            request.Headers.Add("st-auth-mode", "header");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-a-refresh-token");
            using var response = await gateway.Client.SendAsync(request);
            return (int)response.StatusCode;
        }

        Assert.Equal("bob", await UserHeaderAsync("X-User-Id"));
        Assert.Equal(440, await UnknownRefreshStatusAsync());

        await File.WriteAllTextAsync(gateway.ConfigPath, WithSession("X-Account", 401));
        await TestGateway.WaitUntilAsync(async () => await UserHeaderAsync("X-Account") == "bob", "the user id goes in the new header");
        Assert.Null(await UserHeaderAsync("X-User-Id"));
        Assert.Equal(401, await UnknownRefreshStatusAsync());
    }

    [Fact]
    public async Task RouteWithItsOwnCorsPolicy_IsRefusedAtStartAndOnReload()
    {
        // The gateway's CORS (Session:Cors) answers for every path before routing; a route's CorsPolicy would be
        // ignored without a word (its "disable" still answered with credentialed CORS for the allowed origins).
        using var upstream = Upstream.Start();
        const string cors = "Session:\n  Cors:\n    AllowedOrigins: [\"https://app.example\"]\n";
        var withCorsPolicy = cors + Yaml(upstream.Url(), RouteA.Replace("AuthorizationPolicy: anonymous", "AuthorizationPolicy: anonymous\n      CorsPolicy: disable", StringComparison.Ordinal));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => TestGateway.StartAsync(withCorsPolicy));
        Assert.Contains("ReverseProxy:Routes:a:CorsPolicy", refused.Message, StringComparison.Ordinal);

        await using var gateway = await TestGateway.StartAsync(cors + Yaml(upstream.Url(), RouteA));
        await File.WriteAllTextAsync(gateway.ConfigPath, withCorsPolicy);
        await TestGateway.WaitUntilAsync(
            () => Task.FromResult(gateway.Logs.Entries.Any(e => e.EventId.Id == 4002 && e.Message.Contains("CorsPolicy", StringComparison.Ordinal))),
            "the route's CORS policy is reported");
        Assert.Equal(HttpStatusCode.OK, await gateway.StatusOfAsync("/a"));
    }

    [Fact]
    public async Task EditedProxyYaml_WithAnOutOfRangeSessionValue_IsRejectedAndTheGatewayKeepsServing()
    {
        using var upstream = Upstream.Start();
        await using var gateway = await TestGateway.StartAsync(Yaml(upstream.Url(), RouteA));

        await File.WriteAllTextAsync(gateway.ConfigPath, "Session:\n  RefreshGracePeriod: 99999999999d\n" + Yaml(upstream.Url(), RouteA + "\n" + RouteB));
        await TestGateway.WaitUntilAsync(
            () => Task.FromResult(gateway.Logs.Entries.Any(e => e.EventId.Id == 4002 && e.Message.Contains("Session:RefreshGracePeriod", StringComparison.Ordinal))),
            "the out-of-range value is reported");

        Assert.Equal(HttpStatusCode.OK, await gateway.StatusOfAsync("/a"));
        Assert.Equal(HttpStatusCode.Unauthorized, await gateway.StatusOfAsync("/b"));
    }

    [Fact]
    public async Task EditedProxyYaml_WithAnAliasInsideItself_IsRejectedAndTheGatewayKeepsServing()
    {
        // This edit used to overflow the stack while the file was flattened: the running gateway process died.
        using var upstream = Upstream.Start();
        await using var gateway = await TestGateway.StartAsync(Yaml(upstream.Url(), RouteA));

        await File.WriteAllTextAsync(gateway.ConfigPath, "Session: &loop\n  Headers: *loop\n" + Yaml(upstream.Url(), RouteA + "\n" + RouteB));
        await TestGateway.WaitUntilAsync(
            () => Task.FromResult(gateway.Logs.Entries.Any(e => e.EventId.Id == 4002 && e.Message.Contains("the alias *loop refers to a node that contains it", StringComparison.Ordinal))),
            "the recursive alias is reported");

        Assert.Equal(HttpStatusCode.OK, await gateway.StatusOfAsync("/a"));
        Assert.Equal(HttpStatusCode.Unauthorized, await gateway.StatusOfAsync("/b"));
    }

    [Fact]
    public async Task EditedProxyYaml_ChangingAStartOnlySessionKey_WarnsThatARestartIsNeeded()
    {
        using var upstream = Upstream.Start();
        await using var gateway = await TestGateway.StartAsync(Yaml(upstream.Url(), RouteA));

        await File.WriteAllTextAsync(gateway.ConfigPath, "Session:\n  RefreshPath: /auth/refresh\n" + Yaml(upstream.Url(), RouteA + "\n" + RouteB));
        await TestGateway.WaitUntilAsync(async () => await gateway.StatusOfAsync("/b") == HttpStatusCode.OK, "route b is served");

        Assert.Contains(gateway.Logs.Entries, e => e.EventId.Id == 4004 && e.Message.Contains("Session:RefreshPath", StringComparison.Ordinal));
        using var stillHere = await gateway.Client.PostAsync("/api/refresh", null);
        Assert.Equal(440, (int)stillHere.StatusCode);
    }

    [Fact]
    public async Task RequestInFlight_WhenProxyYamlChanges_CompletesNormally()
    {
        using var upstream = Upstream.Start();
        upstream.Given(WireMock.RequestBuilders.Request.Create().WithPath("/a"))
            .RespondWith(WireMock.ResponseBuilders.Response.Create().WithStatusCode(200).WithBody("slow").WithDelay(TimeSpan.FromSeconds(2)));
        await using var gateway = await TestGateway.StartAsync(Yaml(upstream.Url(), RouteA));

        var inFlight = gateway.Client.GetAsync("/a");
        await TestGateway.WaitUntilAsync(() => Task.FromResult(upstream.LogEntries.Any()), "the slow request reached the upstream");
        await File.WriteAllTextAsync(gateway.ConfigPath, Yaml(upstream.Url(), RouteA + "\n" + RouteB));
        await TestGateway.WaitUntilAsync(async () => await gateway.StatusOfAsync("/b") == HttpStatusCode.OK, "route b is served");

        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("slow", await response.Content.ReadAsStringAsync());
    }
}
