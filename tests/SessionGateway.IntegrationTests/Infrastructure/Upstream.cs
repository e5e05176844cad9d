using System.Net;
using System.Net.Sockets;
using WireMock.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;
using WireMock.Settings;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>A WireMock.Net stand-in for the upstream app, on loopback.</summary>
internal static class Upstream
{
    public static WireMockServer Start()
    {
        var server = WireMockServer.Start(new WireMockServerSettings { Urls = [$"http://127.0.0.1:{FreePort()}"] });
        server.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody("upstream ok"));
        return server;
    }

    public static string Url(this WireMockServer server) => server.Urls[0].TrimEnd('/') + "/";

    /// <summary>A request header as the upstream saw it (WireMock keys are case-sensitive; HTTP names are not).</summary>
    public static string? Header(this WireMock.IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.ToString();

    public static ILogEntry LastRequest(this WireMockServer server) => server.LogEntries[^1];

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A proxy.yaml with one catch-all route (no session needed) to <paramref name="upstreamUrl"/>.</summary>
    public static string CatchAllYaml(string upstreamUrl) => $$"""
        ReverseProxy:
          Routes:
            all:
              ClusterId: app
              AuthorizationPolicy: anonymous
              Match:
                Path: "/{**rest}"
          Clusters:
            app:
              Destinations:
                one:
                  Address: {{upstreamUrl}}
        """;

    /// <summary>
    /// The <c>Logging</c> section of the process tests: warnings, plus <paramref name="category"/>'s information lines,
    /// one line each with milliseconds, to read next to a failure.
    /// </summary>
    public static string ProcessLogYaml(string category) => $$"""
        Logging:
          LogLevel:
            Default: Warning
            {{category}}: Information
          Console:
            FormatterName: simple
            FormatterOptions:
              SingleLine: true
              TimestampFormat: "HH:mm:ss.fff "
        """;

    /// <summary>
    /// The routes most process tests run with: the upstream's <c>/login/**</c> (its <c>X-Session-Create</c> header
    /// starts a session) and <c>/api/**</c> behind a session, then <paramref name="routes"/> (more routes, written at
    /// the indentation of a route name: 4), all to the cluster <c>app</c> at <paramref name="upstreamUrl"/>.
    /// </summary>
    public static string LoginAndApiYaml(string upstreamUrl, string routes = "") => $$"""
        ReverseProxy:
          Routes:
            login:
              ClusterId: app
              AuthorizationPolicy: anonymous
              Metadata:
                SessionLogin: "true"
              Match:
                Path: /login/{**rest}
            api:
              ClusterId: app
              AuthorizationPolicy: default
              Match:
                Path: /api/{**rest}
        {{routes}}
          Clusters:
            app:
              Destinations:
                one:
                  Address: {{upstreamUrl}}
        """;
}
