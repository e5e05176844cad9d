using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using SessionGateway.IntegrationTests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.Admin;

/// <summary>
/// The built gateway as processes with a management listener and an admin API key in a file (0600, as a mounted
/// Secret should be), in front of one WireMock app whose <c>POST /login/{name}</c> creates a session. Several replicas
/// share one proxy.yaml and store; each gets its own management port (environment <c>Session__Management__Urls</c>).
/// </summary>
internal sealed class AdminGateway : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("sg-admin-").FullName;
    private readonly List<(GatewayProcess Gateway, HttpClient Management)> _replicas = [];

    public AdminGateway()
    {
        Upstream = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{LoopbackPorts.Free()}"] });
        Upstream.Given(Request.Create().UsingAnyMethod()).AtPriority(1000)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("upstream ok"));
        Key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        KeyFile = Path.Combine(_directory, "admin-api-key");
        File.WriteAllText(KeyFile, Key + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public WireMockServer Upstream { get; }

    /// <summary>The admin API key (in <see cref="KeyFile"/>).</summary>
    public string Key { get; }

    public string KeyFile { get; }

    /// <summary>The folder of proxy.yaml and the key file; deleted on dispose.</summary>
    public string Folder => _directory;

    public GatewayProcess this[int index] => _replicas[index].Gateway;

    /// <summary>Every replica started, in order.</summary>
    public IReadOnlyList<GatewayProcess> All => [.. _replicas.Select(r => r.Gateway)];

    /// <summary>The management port of replica <paramref name="index"/>.</summary>
    public HttpClient Management(int index = 0) => _replicas[index].Management;

    /// <summary>
    /// Starts a replica with <c>proxy.yaml</c> (written on the first start; without <paramref name="adminKey"/>, with
    /// <c>ApiKeyFile</c> empty: the admin API off). <paramref name="session"/> goes under
    /// <c>Session</c> at the indentation of its keys (2), <paramref name="routes"/> at that of a route name (4).
    /// </summary>
    public async Task<GatewayProcess> StartAsync(string session = "", string routes = "", IReadOnlyDictionary<string, string>? environment = null, bool adminKey = true)
    {
        var path = Path.Combine(_directory, "proxy.yaml");
        if (!File.Exists(path))
        {
            await File.WriteAllTextAsync(path, Yaml(session, routes, Upstream.Url!, adminKey));
        }

        var managementPort = LoopbackPorts.Free();
        var variables = new Dictionary<string, string>(environment ?? new Dictionary<string, string>())
        {
            ["Session__Management__Urls"] = $"http://127.0.0.1:{managementPort}",
        };
        var gateway = await GatewayProcess.StartAsync(((char)('A' + _replicas.Count)).ToString(), path, variables);
        _replicas.Add((gateway, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}/"), Timeout = TimeSpan.FromSeconds(15) }));
        return gateway;
    }

    /// <summary>Makes <c>POST /login/{name}</c> create a session of <paramref name="userId"/> with <paramref name="claimsJson"/>; returns the path.</summary>
    public string MapLogin(string name, string userId, string? claimsJson = null)
    {
        var response = Response.Create().WithStatusCode(200).WithBody("welcome").WithHeader("X-Session-Create", userId);
        if (claimsJson is not null)
        {
            response = response.WithHeader("X-Session-Claims", claimsJson);
        }

        Upstream.Given(Request.Create().WithPath("/login/" + name).UsingPost()).AtPriority(1).RespondWith(response);
        return "/login/" + name;
    }

    /// <summary>Logs in through replica <paramref name="replica"/> as a client whose User-Agent is <paramref name="userAgent"/> (header mode).</summary>
    public async Task<SessionClient> LoginAsync(string loginPath, string userAgent, int replica = 0)
    {
        var client = new SessionClient(ClientWithUserAgent(this[replica], userAgent), TokenMode.Header);
        using var response = await client.LoginAsync(loginPath);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"login {loginPath}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.NotNull(client.AccessToken);
        Assert.NotNull(client.RefreshToken);
        return client;
    }

    /// <summary>An HttpClient to <paramref name="gateway"/>'s traffic port that sends <paramref name="userAgent"/>.</summary>
    public static HttpClient ClientWithUserAgent(GatewayProcess gateway, string userAgent)
    {
        var http = new HttpClient(new SocketsHttpHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.UserAgent.ParseAdd(userAgent);
        return http;
    }

    /// <summary>An admin request on replica <paramref name="replica"/>'s management port, with <paramref name="authorization"/> as it is (null: none).</summary>
    public async Task<(HttpStatusCode Status, string Body, HttpResponseMessage Response)> SendAsync(
        HttpMethod method, string path, string? authorization, int replica = 0)
    {
        using var request = new HttpRequestMessage(method, path);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        var response = await Management(replica).SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    /// <summary>An admin request with the right key; asserts <paramref name="expected"/> and returns the parsed body (default for none).</summary>
    public async Task<JsonElement> AdminAsync(HttpMethod method, string path, HttpStatusCode expected = HttpStatusCode.OK, int replica = 0)
    {
        var (status, body, response) = await SendAsync(method, path, "Bearer " + Key, replica);
        using (response)
        {
            Assert.True(status == expected, $"{method} {path}: {(int)status} {body}\n{this[replica].OutputTail(20)}");
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
            if (body.Length == 0)
            {
                return default;
            }

            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using var document = JsonDocument.Parse(body);
            return document.RootElement.Clone();
        }
    }

    /// <summary>Writes each replica's last lines of output to the test's log (what a failure needs), then disposes.</summary>
    public async Task ReportAndDisposeAsync(ITestOutputHelper output)
    {
        foreach (var gateway in All)
        {
            output.WriteLine($"--- gateway {gateway.Name}\n{gateway.OutputTail(30)}");
        }

        await DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (gateway, management) in _replicas)
        {
            await gateway.DisposeAsync();
            management.Dispose();
        }

        Upstream.Stop();
        Upstream.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans its temp folder.
        }
    }

    /// <summary>Long-lived access tokens (so "refused" can only mean revoked), no rate limits (every client is 127.0.0.1).</summary>
    private string Yaml(string session, string routes, string upstreamUrl, bool adminKey) => $$"""
        {{SessionGateway.IntegrationTests.Infrastructure.Upstream.ProcessLogYaml("SessionGateway.Admin")}}
        Session:
          AccessTokenLifetime: 10m
          RefreshTokenLifetime: 1h
          Management:
            DrainDelay: 0s
          Admin:
            ApiKeyFile: {{(adminKey ? KeyFile : "")}}
          RateLimits:
            Refresh:
              Enabled: false
            Login:
              Enabled: false
        {{session}}
        {{SessionGateway.IntegrationTests.Infrastructure.Upstream.LoginAndApiYaml(upstreamUrl, routes)}}
        """;
}
