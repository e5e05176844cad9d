using SessionGateway.Configuration;
using SessionGateway.Management;

namespace SessionGateway.Tests.Configuration;

/// <summary>
/// Listen addresses a start would refuse only when Kestrel binds them (exit 1), or bind somewhere else than written,
/// are configuration problems (exit 2, --check fails) naming the key.
/// </summary>
public sealed class ListenAddressesTests
{
    [Theory]
    [InlineData("ftp://127.0.0.1:18080", "has the scheme 'ftp'")]
    [InlineData("http://127.0.0.1:99999", "has the port 99999")]
    [InlineData("http://127.0.0.1:-1", "has the port -1")]
    [InlineData("http://127.0.0.1:notaport", "does not end in a port number")] // would listen on [::]:80
    [InlineData("https://127.0.0.1:18443", "no certificate is configured")]
    [InlineData("\"http://0.0.0.0:18080;http://[::]:18080\"", "cannot both listen on port 18080")]
    [InlineData("\"http://*:18080;http://0.0.0.0:18080\"", "cannot both listen on port 18080")]
    [InlineData("\"http://+:18080;http://[::]:18080\"", "cannot both listen on port 18080")]
    [InlineData("\"http://127.0.0.1:18080;http://127.0.0.1:18080\"", "the same address twice")]
    public void Validate_TrafficUrlsKestrelCannotBind_NamesUrls(string urls, string message)
    {
        var (document, configuration) = ConfigTestData.Load($"Urls: {urls}\n");

        var problems = GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);

        var problem = Assert.Single(problems, p => p.Key == "Urls");
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.Equal(1, problem.Location?.Line);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1:19090", "must be an http:// address")]
    [InlineData("http://127.0.0.1:99999", "has the port 99999")]
    [InlineData("http://127.0.0.1:notaport", "does not end in a port number")]
    [InlineData("\"http://0.0.0.0:19090;http://[::]:19090\"", "cannot both listen on port 19090")]
    public void Validate_ManagementUrlsKestrelCannotBind_NamesTheKey(string urls, string message)
    {
        var (document, configuration) = ConfigTestData.Load($"Urls: http://127.0.0.1:18080\nSession:\n  Management:\n    Urls: {urls}\n");

        var problems = GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);

        var problem = Assert.Single(problems);
        Assert.Equal(ManagementListener.UrlsKey, problem.Key);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://localhost:0")]
    [InlineData("http://127.0.0.1")] // port 80, as written
    [InlineData("\"http://127.0.0.1:8080;http://[::1]:8080\"")]
    [InlineData("\"http://[::]:8080;http://[::]:8081\"")]
    [InlineData("http://unix:/run/gateway.sock")]
    public void Validate_TrafficUrlsKestrelBinds_NoProblem(string urls)
    {
        var (document, configuration) = ConfigTestData.Load($"Urls: {urls}\n");

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
    }

    [Fact]
    public void Validate_HttpsWithADefaultCertificate_NoProblem()
    {
        var (document, configuration) = ConfigTestData.Load("""
            Urls: https://127.0.0.1:18443
            Kestrel:
              Certificates:
                Default:
                  Path: /certs/gateway.pfx
            """);

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
    }
}
