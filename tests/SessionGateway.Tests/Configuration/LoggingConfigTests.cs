using SessionGateway.Configuration;

namespace SessionGateway.Tests.Configuration;

/// <summary>The <c>Logging</c> section of proxy.yaml: JSON console lines as docs/operations.md describes them.</summary>
public sealed class LoggingConfigTests
{
    [Fact]
    public void JsonConsoleFormatter_WithItsOptions_PassesValidation()
    {
        var (document, configuration) = ConfigTestData.Load("""
            Logging:
              LogLevel:
                Default: Information
              Console:
                FormatterName: json
                FormatterOptions:
                  IncludeScopes: true
                  UseUtcTimestamp: true
                  TimestampFormat: "yyyy-MM-ddTHH:mm:ss.fffZ"
            """);

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
    }

    [Fact]
    public void UnknownConsoleFormatter_IsAProblemNamingTheKey()
    {
        var (document, configuration) = ConfigTestData.Load("""
            Logging:
              Console:
                FormatterName: jsonl
            """);

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        Assert.Contains("Logging:Console:FormatterName", problem.ToString(), StringComparison.Ordinal);
        Assert.Contains("json, simple, systemd", problem.ToString(), StringComparison.Ordinal);
    }
}
