using Microsoft.Extensions.Configuration;
using SessionGateway.Configuration;

namespace SessionGateway.Tests.Configuration;

public sealed class ConfigMappingTests
{
    [Fact]
    public void ReverseProxySection_InYaml_IsReadByYarpWithItsOwnSchema()
    {
        var (_, configuration) = ConfigTestData.Load("""
            ReverseProxy:
              Routes:
                api:
                  ClusterId: backend
                  Order: 5
                  AuthorizationPolicy: anonymous
                  Match:
                    Path: /api/{**rest}
                    Methods: [GET, PUT]
                    Headers:
                      - Name: X-Tenant
                        Values: [a, b]
                        Mode: ExactHeader
                  Metadata:
                    SessionLogin: "true"
                  Transforms:
                    - PathRemovePrefix: /api
                    - RequestHeader: X-From-Gateway
                      Set: "1"
              Clusters:
                backend:
                  LoadBalancingPolicy: RoundRobin
                  HttpRequest:
                    ActivityTimeout: 00:00:45
                  HealthCheck:
                    Active:
                      Enabled: true
                      Interval: 00:00:10
                      Path: /health
                  Destinations:
                    one:
                      Address: http://127.0.0.1:5001/
                    two:
                      Address: http://127.0.0.1:5002/
            """);

        var (proxy, problem) = YarpConfigReader.Read(configuration);

        Assert.Null(problem);
        var route = Assert.Single(proxy!.Routes);
        Assert.Equal("api", route.RouteId);
        Assert.Equal(5, route.Order);
        Assert.Equal("anonymous", route.AuthorizationPolicy);
        Assert.Equal(["GET", "PUT"], route.Match.Methods!);
        Assert.Equal(["a", "b"], Assert.Single(route.Match.Headers!).Values!);
        Assert.Equal("true", route.Metadata!["SessionLogin"]);
        Assert.Equal("/api", route.Transforms![0]["PathRemovePrefix"]);
        Assert.Equal("1", route.Transforms[1]["Set"]);
        var cluster = Assert.Single(proxy.Clusters);
        Assert.Equal("RoundRobin", cluster.LoadBalancingPolicy);
        Assert.Equal(TimeSpan.FromSeconds(45), cluster.HttpRequest!.ActivityTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), cluster.HealthCheck!.Active!.Interval);
        Assert.Equal("http://127.0.0.1:5002/", cluster.Destinations!["two"].Address);
    }

    [Fact]
    public void SessionSection_InYaml_BindsTheGatewaySettings()
    {
        var (_, configuration) = ConfigTestData.Load("""
            Session:
              Headers:
                UserId: X-Auth-User
                ReservedPrefix: X-Auth-
                Claims:
                  role: X-Auth-Role
                Strip: [X-Remote-User]
            """);

        var settings = GatewayConfigValidator.TryBind(configuration)!;

        Assert.Equal("X-Auth-User", settings.Headers.UserId);
        Assert.Equal("X-Session-Handle", settings.Headers.SessionHandle);
        Assert.Equal("X-Auth-", settings.Headers.ReservedPrefix);
        Assert.Equal("X-Auth-Role", settings.Headers.Claims["role"]);
        Assert.Equal(["X-Remote-User"], settings.Headers.Strip);
    }

    [Fact]
    public void EnvironmentStyleOverride_WinsOverYaml()
    {
        var (_, configuration) = ConfigTestData.Load(
            "Session:\n  Headers:\n    UserId: X-From-Yaml\n",
            new Dictionary<string, string?> { ["Session:Headers:UserId"] = "X-From-Env" });

        Assert.Equal("X-From-Env", GatewayConfigValidator.TryBind(configuration)!.Headers.UserId);
    }
}
