using SessionGateway.Configuration;

namespace SessionGateway.Tests.Configuration;

/// <summary><c>Session:SessionsPath</c> ("your devices"): a literal path of its own, read at start.</summary>
public sealed class SessionsPathSettingsTests
{
    private static SessionSettings Bind(string yaml) =>
        GatewayConfigValidator.TryBind(ConfigTestData.Load(yaml).Configuration)!;

    [Fact]
    public void Unset_IsApiSessions()
    {
        Assert.Equal("/api/sessions", Bind("Session:\n  AccessTokenLifetime: 1m\n").SessionsPath);
    }

    [Theory]
    [InlineData("/api/signout", "Session:RefreshPath")]
    [InlineData("/api/refresh/", "Session:RefreshPath")]
    [InlineData("api/sessions", "Session:SessionsPath")]
    [InlineData("/api/sessions/{handle}", "Session:SessionsPath")]
    public void Validate_ClashingOrNonLiteralPath_IsAProblemNamingTheKey(string path, string key)
    {
        var (document, configuration) = ConfigTestData.Load($"Session:\n  SessionsPath: \"{path}\"\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(key, problem.Key);
    }

    [Fact]
    public void StartOnlyChanges_SessionsPath_IsReadAtStart()
    {
        var before = Bind("Session:\n  SessionsPath: /api/sessions\n");
        var after = Bind("Session:\n  SessionsPath: /me/devices\n");

        Assert.Equal(["Session:SessionsPath"], before.StartOnlyChanges(after));
    }
}
