using SessionGateway.Configuration;

namespace SessionGateway.Tests.Configuration;

public sealed class AuditRetentionConfigTests
{
    [Theory]
    [InlineData("", 90.0)] // unset: the default
    [InlineData("  AuditRetention: 30d\n", 30.0)]
    [InlineData("  AuditRetention: \"365.00:00:00\"\n", 365.0)]
    [InlineData("  AuditRetention:\n", null)] // empty: kept forever
    [InlineData("  AuditRetention: ~\n", null)]
    public void AuditRetention_BindsToTheEngine(string line, double? days)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  IdleTimeout: 2h\n" + line);

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        Assert.Equal(days is { } d ? TimeSpan.FromDays(d) : null, GatewayConfigValidator.TryBind(configuration)!.ToEngineOptions().AuditRetention);
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("\"-1.00:00:00\"")]
    public void AuditRetention_NotPositive_IsAProblemOnThatKey(string value)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  AuditRetention: " + value + "\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal("Session:AuditRetention", problem.Key);
    }
}
