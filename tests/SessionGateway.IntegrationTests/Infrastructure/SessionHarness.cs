using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>Knobs of the gateway configuration a session test may turn.</summary>
internal sealed record SessionHarnessOptions
{
    public string RefreshGracePeriod { get; init; } = "30s";

    public int ExpiredStatusCode { get; init; } = 440;

    public string AntiCsrf { get; init; } = "auto";

    /// <summary>An origin for <c>Session:Cors:AllowedOrigins</c> (CORS off when null).</summary>
    public string? CorsOrigin { get; init; }

    /// <summary>Overrides the cluster address (for "upstream down", or a <see cref="RawUpstream"/>).</summary>
    public string? UpstreamAddress { get; init; }

    /// <summary>More command-line arguments for the gateway (<c>--OTEL_EXPORTER_OTLP_ENDPOINT=...</c>).</summary>
    public string[] ExtraArgs { get; init; } = [];

    /// <summary>More lines for the <c>Session</c> section, each indented by two spaces (<c>"  Paths:\n    MergeSlashes: false"</c>).</summary>
    public string? ExtraSessionYaml { get; init; }

    /// <summary>More routes under <c>ReverseProxy:Routes</c>, each route's name indented by four spaces.</summary>
    public string? ExtraRoutesYaml { get; init; }

    /// <summary>
    /// A whole proxy.yaml instead of the harness's own, given the upstream's URL (a shipped example run as it is); the
    /// knobs above then do nothing but <see cref="UpstreamAddress"/> and <see cref="ExtraArgs"/>.
    /// </summary>
    public Func<string, string>? Config { get; init; }
}

/// <summary>
/// A WireMock upstream and the real gateway in front of it, on a fake clock, with the routes every session test
/// uses: <c>/login/*</c> (anonymous, SessionLogin), <c>/public/*</c> (anonymous), <c>/admin/*</c> (policy
/// <c>admin</c>: claim <c>role: admin</c>), <c>/api/*</c> (policy <c>default</c>) and a catch-all with no policy.
/// </summary>
internal sealed class SessionHarness : IAsyncDisposable
{
    public static readonly TimeSpan AccessTokenLifetime = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan RefreshTokenLifetime = TimeSpan.FromHours(1);
    public const string RefreshPath = "/api/refresh";
    public const string SignOutPath = "/api/signout";

    private SessionHarness(WireMockServer upstream, TestGateway gateway, FakeTimeProvider clock)
    {
        Upstream = upstream;
        Gateway = gateway;
        Clock = clock;
    }

    public WireMockServer Upstream { get; }

    public TestGateway Gateway { get; }

    /// <summary>The gateway's clock (session engine, key ring, sweeper). Starts at the real time.</summary>
    public FakeTimeProvider Clock { get; }

    public HttpClient Http => Gateway.Client;

    public static async Task<SessionHarness> StartAsync(SessionHarnessOptions? options = null)
    {
        options ??= new SessionHarnessOptions();
        var upstream = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{Infrastructure.Upstream.FreePort()}"] });
        upstream.Given(Request.Create().UsingAnyMethod()).AtPriority(1000)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("upstream ok"));
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var upstreamUrl = options.UpstreamAddress ?? upstream.Url();
        var yaml = options.Config is { } config ? config(upstreamUrl) : Yaml(options, upstreamUrl);
        try
        {
            var gateway = await TestGateway.StartAsync(
                yaml,
                builder => builder.Services.Replace(ServiceDescriptor.Singleton<TimeProvider>(clock)),
                options.ExtraArgs);
            return new SessionHarness(upstream, gateway, clock);
        }
        catch
        {
            upstream.Stop();
            upstream.Dispose();
            throw;
        }
    }

    /// <summary>A client that logs in and keeps its tokens in <paramref name="mode"/>.</summary>
    public SessionClient NewClient(TokenMode mode) => new(Http, mode);

    /// <summary>Makes <c>POST /login/{userId}</c> answer with <c>X-Session-Create: userId</c> (and the claims, if any).</summary>
    public string MapLogin(string userId, string? claimsJson = null)
    {
        var path = "/login/" + userId;
        var response = Response.Create().WithStatusCode(200).WithBody("welcome").WithHeader("X-Session-Create", userId);
        if (claimsJson is not null)
        {
            response = response.WithHeader("X-Session-Claims", claimsJson);
        }

        Upstream.Given(Request.Create().WithPath(path).UsingPost()).AtPriority(1).RespondWith(response);
        return path;
    }

    /// <summary>Makes <paramref name="path"/> answer <paramref name="status"/> with <paramref name="body"/> and any extra headers.</summary>
    public void MapResponse(string path, int status, string body, params (string Name, string Value)[] headers)
    {
        var response = Response.Create().WithStatusCode(status).WithBody(body);
        foreach (var (name, value) in headers)
        {
            response = response.WithHeader(name, value);
        }

        Upstream.Given(Request.Create().WithPath(path).UsingAnyMethod()).AtPriority(1).RespondWith(response);
    }

    /// <summary>Logs <paramref name="userId"/> in through the gateway and returns the client holding the session.</summary>
    public async Task<SessionClient> LoginAsync(TokenMode mode, string userId, string? claimsJson = null)
    {
        var client = NewClient(mode);
        using var response = await client.LoginAsync(MapLogin(userId, claimsJson));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(client.AccessToken);
        Assert.NotNull(client.RefreshToken);
        return client;
    }

    /// <summary>
    /// A session created through the engine, as a login would (for tests whose upstream is not the WireMock one).
    /// </summary>
    public async Task<SessionGateway.Sessions.IssuedSession> CreateSessionAsync(string userId, string? claimsJson = null)
    {
        var engine = Gateway.Services.GetRequiredService<SessionGateway.Sessions.SessionEngine>();
        var claims = claimsJson is null ? null : System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, System.Text.Json.JsonElement>>(claimsJson);
        var created = await engine.CreateAsync(userId, claims, withAntiCsrfToken: false, CancellationToken.None);
        return created.Value ?? throw new InvalidOperationException("the store was unavailable");
    }

    /// <summary>Requests the upstream received on <paramref name="path"/>.</summary>
    public IReadOnlyList<WireMock.IRequestMessage> UpstreamRequests(string path) =>
        [.. Upstream.LogEntries.Select(e => e.RequestMessage).Where(r => r.Path == path)];

    public async ValueTask DisposeAsync()
    {
        await Gateway.DisposeAsync();
        Upstream.Stop();
        Upstream.Dispose();
    }

    private static string Cors(SessionHarnessOptions options) => options.CorsOrigin is null ? "" : $"""

          Cors:
            AllowedOrigins:
              - {options.CorsOrigin}
        """;

    private static string Extra(SessionHarnessOptions options) => options.ExtraSessionYaml is null ? "" : "\n" + options.ExtraSessionYaml;

    private static string ExtraRoutes(SessionHarnessOptions options) => options.ExtraRoutesYaml is null ? "" : "\n" + options.ExtraRoutesYaml;

    private static string Yaml(SessionHarnessOptions options, string upstreamUrl) => $$"""
        Session:
          AccessTokenLifetime: 1m
          RefreshTokenLifetime: 1h
          RefreshGracePeriod: {{options.RefreshGracePeriod}}
          ExpiredStatusCode: {{options.ExpiredStatusCode}}
          AntiCsrf: {{options.AntiCsrf}}
          Store:
            BusyTimeout: 200ms{{Cors(options)}}{{Extra(options)}}
          Headers:
            Claims:
              role: X-User-Role
          Policies:
            admin:
              RequireClaims:
                role: admin
        ReverseProxy:
          Routes:
            login:
              ClusterId: app
              AuthorizationPolicy: anonymous
              Metadata:
                SessionLogin: "true"
              Match:
                Path: /login/{**rest}
            public:
              ClusterId: app
              AuthorizationPolicy: anonymous
              Match:
                Path: /public/{**rest}
            admin:
              ClusterId: app
              AuthorizationPolicy: admin
              Match:
                Path: /admin/{**rest}
            api:
              ClusterId: app
              AuthorizationPolicy: default
              Match:
                Path: /api/{**rest}{{ExtraRoutes(options)}}
            everything-else:
              ClusterId: app
              Order: 100
              Match:
                Path: "/{**rest}"
          Clusters:
            app:
              Destinations:
                one:
                  Address: {{upstreamUrl}}
        """;
}
