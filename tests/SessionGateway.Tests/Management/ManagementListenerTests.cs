using SessionGateway.Configuration;
using SessionGateway.Management;
using SessionGateway.Tests.Configuration;

namespace SessionGateway.Tests.Management;

public sealed class ManagementListenerTests
{
    [Theory]
    [InlineData("Urls: http://127.0.0.1:8080\nSession:\n  Management:\n    Urls: http://0.0.0.0:8080\n", "also a traffic port")]
    [InlineData("Session:\n  Management:\n    Urls: http://localhost:5000\n", "also a traffic port")] // ASP.NET Core's default traffic address
    [InlineData("http_ports: \"9090\"\nSession:\n  Management:\n    Urls: http://0.0.0.0:9090\n", "also a traffic port")]
    [InlineData("Session:\n  Management:\n    Urls: https://0.0.0.0:9090\n", "must be an http:// address")]
    [InlineData("Session:\n  Management:\n    Urls: http://0.0.0.0:9090/probes\n", "must not have a path")]
    [InlineData("Session:\n  Management:\n    Urls: http://0.0.0.0:0\n", "needs a fixed port")]
    [InlineData("Session:\n  Management:\n    Urls: http://unix:/run/gw.sock\n", "TCP address")]
    [InlineData("Session:\n  Management:\n    Urls: \"http://0.0.0.0:9090;http://[::]:9091\"\n", "one port")]
    [InlineData("Session:\n  Management:\n    Urls: 9090\n", "is not a listen address")]
    [InlineData("Kestrel:\n  Endpoints:\n    web:\n      Url: http://127.0.0.1:8080\nSession:\n  Management:\n    Urls: http://0.0.0.0:9090\n", "Kestrel:Endpoints")]
    public void Validate_UnusableManagementUrls_NamesTheKey(string yaml, string message)
    {
        var (document, configuration) = ConfigTestData.Load(yaml);

        var problems = GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);

        var problem = Assert.Single(problems, p => p.Key == ManagementListener.UrlsKey);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.NotNull(problem.Location);
    }

    [Theory]
    [InlineData("Session:\n  Management:\n    Urls: http://0.0.0.0:9090\n    DrainDelay: \"-00:00:01\"\n", "must not be negative")]
    [InlineData("Session:\n  Management:\n    Urls: http://0.0.0.0:9090\n    DrainDelay: 30s\n", "shutdown timeout (30 s")]
    [InlineData("ShutdownTimeoutSeconds: 10\nSession:\n  Management:\n    Urls: http://0.0.0.0:9090\n    DrainDelay: 15s\n", "shutdown timeout (10 s")]
    public void Validate_DrainDelayThatLeavesNoTimeToFinish_NamesTheKey(string yaml, string message)
    {
        var (document, configuration) = ConfigTestData.Load(yaml);

        var problems = GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);

        var problem = Assert.Single(problems, p => p.Key == ManagementListener.DrainDelayKey);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TwoAddressesOnOnePort_ListensOnBothAfterTheTrafficAddresses()
    {
        var (document, configuration) = ConfigTestData.Load("""
            Urls: http://127.0.0.1:8080
            Session:
              Management:
                Urls: "http://127.0.0.1:9090; http://[::1]:9090"
                DrainDelay: 10s
            """);
        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        var settings = GatewayConfigValidator.TryBind(configuration)!;

        var listener = ManagementListener.Parse(settings.Management, configuration, problems: null);

        Assert.NotNull(listener);
        Assert.Equal(9090, listener.Port);
        Assert.Equal("http://127.0.0.1:8080;http://127.0.0.1:9090;http://[::1]:9090", listener.CombinedUrls(configuration));
        Assert.Equal(TimeSpan.FromSeconds(10), settings.Management.DrainDelay);
    }

    [Fact]
    public void Parse_Unset_NoListenerAndTheDefaultDelay()
    {
        var (_, configuration) = ConfigTestData.Load("Urls: http://127.0.0.1:8080\n");
        var settings = GatewayConfigValidator.TryBind(configuration)!;

        Assert.Null(ManagementListener.Parse(settings.Management, configuration, problems: null));
        Assert.Equal(TimeSpan.FromSeconds(5), settings.Management.DrainDelay);
    }
}
