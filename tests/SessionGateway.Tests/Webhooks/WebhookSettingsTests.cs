using System.Security.Cryptography;
using SessionGateway.Configuration;
using SessionGateway.Sessions;
using SessionGateway.Tests.Configuration;

namespace SessionGateway.Tests.Webhooks;

public sealed class WebhookSettingsTests
{
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    [Fact]
    public void ParseSecret_StandardWebhooksSecret_WithOrWithoutPrefix_IsItsBytes_PasswordsAndShortKeysAreNot()
    {
        var key = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(key, WebhookSettings.ParseSecret("whsec_" + Convert.ToBase64String(key)));
        Assert.Equal(key, WebhookSettings.ParseSecret(Convert.ToBase64String(key)));
        Assert.Null(WebhookSettings.ParseSecret("correct horse battery staple"));
        Assert.Null(WebhookSettings.ParseSecret("whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));
        Assert.Null(WebhookSettings.ParseSecret("whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(65))));
    }

    [Fact]
    public void Validate_UnknownEventType_NamesTheItemAndItsLine()
    {
        var problems = Validate($"""
            Session:
              Webhooks:
                Url: https://hooks.example.com/sg
                Secret: {Secret}
                Events:
                  - session.theft_detected
                  - session.stolen
            """);

        var problem = Assert.Single(problems);
        Assert.Equal("Session:Webhooks:Events:1", problem.Key);
        Assert.Equal(7, problem.Location!.Value.Line);
        Assert.Contains("'session.stolen' is not an event type", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "Session:Webhooks:SecretFile", "is required")]
    [InlineData("    Secret: hunter2hunter2\n", "Session:Webhooks:Secret", "is not a webhook secret")]
    [InlineData("    SecretFile: missing.txt\n", "Session:Webhooks:SecretFile", "cannot read")]
    [InlineData("    Secret: whsec_AAAA\n    SecretFile: x.txt\n", "Session:Webhooks:Secret", "not both")]
    public void Validate_WithAUrl_ExactlyOneUsableSecretIsRequired(string secretLines, string key, string message)
    {
        var problems = Validate("Session:\n  Webhooks:\n    Url: https://hooks.example.com/sg\n" + secretLines);

        var problem = Assert.Single(problems);
        Assert.Equal(key, problem.Key);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", problem.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://hooks.example.com/")]
    [InlineData("/relative")]
    [InlineData("https://user:pass@hooks.example.com/")]
    public void Validate_UrlThatIsNotAnAbsoluteHttpUrl_IsAProblem(string url)
    {
        var problems = Validate($"Session:\n  Webhooks:\n    Url: {url}\n    Secret: {Secret}\n");

        Assert.Equal("Session:Webhooks:Url", Assert.Single(problems).Key);
    }

    [Fact]
    public void Validate_EmptyEventList_IsAProblem_NotTheDefault()
    {
        var problems = Validate($"Session:\n  Webhooks:\n    Url: https://hooks.example.com/sg\n    Secret: {Secret}\n    Events: []\n");

        Assert.Equal("Session:Webhooks:Events", Assert.Single(problems).Key);
    }

    [Fact]
    public void EngineEventTypes_DefaultIsTheftOnly_ListedOnesWithAUrl_NoneWithoutAUrl()
    {
        Assert.Equal([SessionEventTypes.TheftDetected], new WebhookSettings { Url = "https://h.example.com/", Secret = Secret }.EngineEventTypes().Order(StringComparer.Ordinal));
        Assert.Equal(
            [SessionEventTypes.Created, SessionEventTypes.SignedOut],
            new WebhookSettings { Url = "https://h.example.com/", Secret = Secret, Events = [SessionEventTypes.Created, SessionEventTypes.SignedOut] }.EngineEventTypes().Order(StringComparer.Ordinal));
        Assert.Empty(new WebhookSettings { Events = [SessionEventTypes.Created] }.EngineEventTypes().Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ToString_NeverPrintsTheSecret()
    {
        var settings = new SessionSettings { Webhooks = new WebhookSettings { Url = "https://h.example.com/", Secret = Secret } };

        Assert.DoesNotContain(Secret["whsec_".Length..], settings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void StartOnlyChanges_WebhookSettings_AreReadAtStart()
    {
        var before = new SessionSettings();
        var after = new SessionSettings { Webhooks = new WebhookSettings { Url = "https://h.example.com/", Secret = Secret } };

        Assert.Equal(["Session:Webhooks"], before.StartOnlyChanges(after));
    }

    private static IReadOnlyList<ConfigProblem> Validate(string yaml)
    {
        var (document, configuration) = ConfigTestData.Load(yaml);
        return GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);
    }
}
