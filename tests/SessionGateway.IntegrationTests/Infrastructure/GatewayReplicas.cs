using System.Net;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;
using Xunit.Abstractions;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Several gateway processes (replicas A, B, C...) behind no load balancer, sharing one proxy.yaml and one session
/// store, in front of one WireMock upstream app. The test plays the load balancer by choosing the replica for each
/// request. On dispose every replica is killed and the end of each one's output goes to the test output.
/// </summary>
internal sealed class GatewayReplicas : IAsyncDisposable
{
    /// <summary>A route that needs a session (policy <c>default</c>); the upstream answers 200.</summary>
    public const string ApiPath = "/api/me";

    private readonly List<GatewayProcess> _replicas = [];
    private readonly ITestOutputHelper _output;
    private readonly string _directory;

    private GatewayReplicas(WireMockServer upstream, string directory, IReadOnlyDictionary<string, string> environment, ITestOutputHelper output)
    {
        Upstream = upstream;
        _directory = directory;
        Environment = environment;
        _output = output;
    }

    public WireMockServer Upstream { get; }

    /// <summary>The proxy.yaml every replica runs with.</summary>
    public string ConfigPath => Path.Combine(_directory, "proxy.yaml");

    /// <summary>The environment every replica gets (the store's connection string).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; }

    public IReadOnlyList<GatewayProcess> All => _replicas;

    public GatewayProcess this[int index] => _replicas[index];

    /// <summary>
    /// Starts <paramref name="count"/> replicas at the same moment, as a rollout does: they race on the store's
    /// migrations and first signing key.
    /// </summary>
    public static async Task<GatewayReplicas> StartAsync(int count, ReplicaOptions options, ITestOutputHelper output)
    {
        // The login routes answer before the catch-all (lower priority number wins in WireMock).
        var upstream = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{LoopbackPorts.Free()}"] });
        upstream.Given(Request.Create().UsingAnyMethod()).AtPriority(1000)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("upstream ok"));
        var directory = Directory.CreateTempSubdirectory("sg-scaleout-").FullName;
        var environment = new Dictionary<string, string>();
        if (options.ConnectionString is { } connectionString)
        {
            environment["Session__Store__ConnectionString"] = connectionString;
        }

        var replicas = new GatewayReplicas(upstream, directory, environment, output);
        try
        {
            await File.WriteAllTextAsync(replicas.ConfigPath, Yaml(options, upstream.Url()));
            var starting = Enumerable.Range(0, count)
                .Select(i => GatewayProcess.StartAsync(((char)('A' + i)).ToString(), replicas.ConfigPath, environment))
                .ToList();
            try
            {
                await Task.WhenAll(starting);
            }
            finally
            {
                // Kept even when another one failed, so that dispose kills them.
                replicas._replicas.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
            }

            return replicas;
        }
        catch
        {
            await replicas.DisposeAsync();
            throw;
        }
    }

    /// <summary>Makes <c>POST /login/{userId}</c> answer with <c>X-Session-Create: userId</c>; returns the path.</summary>
    public string MapLogin(string userId)
    {
        var path = "/login/" + userId;
        Upstream.Given(Request.Create().WithPath(path).UsingPost()).AtPriority(1)
            .RespondWith(Response.Create().WithStatusCode(200).WithBody("welcome").WithHeader("X-Session-Create", userId));
        return path;
    }

    /// <summary>Logs <paramref name="userId"/> in on <paramref name="replica"/>; the client keeps talking to that replica.</summary>
    public async Task<SessionClient> LoginAsync(GatewayProcess replica, TokenMode mode, string userId)
    {
        var client = new SessionClient(replica.Client, mode);
        using var response = await client.LoginAsync(MapLogin(userId));
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"login of {userId} on {replica.Name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        Assert.NotNull(client.AccessToken);
        Assert.NotNull(client.RefreshToken);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(_replicas.Select(r => r.DisposeAsync().AsTask()));
        }
        finally
        {
            foreach (var replica in _replicas)
            {
                try
                {
                    _output.WriteLine($"--- output of replica {replica.Name} (last lines)\n{replica.OutputTail(40)}");
                }
                catch (InvalidOperationException)
                {
                    // No test running any more (disposed after the test ended): nowhere to write.
                }
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
    }

    /// <summary>
    /// Long-lived access tokens, so "refused" can only mean revoked; no rate limits (one client address); warnings only, plus the revocation feed's
    /// own lines (lost / back), single-line with milliseconds, to read next to a failure.
    /// </summary>
    private static string Yaml(ReplicaOptions options, string upstreamUrl) => $$"""
        {{SessionGateway.IntegrationTests.Infrastructure.Upstream.ProcessLogYaml("SessionGateway.Sessions.RevocationSync")}}
        Session:
          AccessTokenLifetime: 10m
          RefreshTokenLifetime: 1h
          RefreshGracePeriod: {{options.RefreshGracePeriod}}
          Store:
            Provider: {{options.Provider}}
            BusyTimeout: 1s
          RateLimits:          # every client here is 127.0.0.1, and the load tests chain hundreds of refreshes
            Refresh:
              Enabled: false
            Login:
              Enabled: false
        {{SessionGateway.IntegrationTests.Infrastructure.Upstream.LoginAndApiYaml(upstreamUrl)}}
        """;
}
