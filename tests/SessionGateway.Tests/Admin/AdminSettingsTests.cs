using System.Runtime.Versioning;
using SessionGateway.Configuration;
using SessionGateway.Tests.Configuration;

namespace SessionGateway.Tests.Admin;

/// <summary><c>Session:Admin</c>: what the configuration checks accept and refuse, each refusal naming its key and never the key's value.</summary>
[UnsupportedOSPlatform("windows")]
public sealed class AdminSettingsTests : IDisposable
{
    private const string ValidKey = "k8W2pXJ9q3Lr5Tz7Vb1Nc4Md6Fg0Hs2Aj+/Qe=";
    private const string Management = "  Management:\n    Urls: http://127.0.0.1:9090\n";

    private readonly string _directory = Directory.CreateTempSubdirectory("sg-admin-settings-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Unset_AdminApiOff_NoProblem()
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n" + Management);

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        Assert.False(GatewayConfigValidator.TryBind(configuration)!.Admin.Enabled);
    }

    [Fact]
    public void KeyFile_Valid_NoProblem_AndTheKeyIsReadTrimmed()
    {
        var file = KeyFile(ValidKey + "\n");
        var (document, configuration) = ConfigTestData.Load($"Session:\n{Management}  Admin:\n    ApiKeyFile: {file}\n");

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        var settings = GatewayConfigValidator.TryBind(configuration)!;
        Assert.True(settings.Admin.Enabled);
        Assert.False(settings.Admin.IsInline);
        Assert.Equal(ValidKey, settings.Admin.LoadKey(settings.Management, _directory, []));
    }

    [Fact]
    public void InlineKey_FromTheEnvironment_NoProblem()
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n" + Management, new Dictionary<string, string?> { ["Session:Admin:ApiKey"] = ValidKey });

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
        var settings = GatewayConfigValidator.TryBind(configuration)!;
        Assert.True(settings.Admin.IsInline);
    }

    [Theory]
    [InlineData("ApiKey: " + ValidKey, AdminSettings.ApiKeyKey)]
    [InlineData("ApiKeyFile: /run/secrets/admin", AdminSettings.ApiKeyFileKey)]
    public void AKeyWithoutTheManagementListener_IsAProblemOnTheKey(string line, string key)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n  Admin:\n    " + line + "\n");

        var problems = GatewayConfigValidator.Validate(configuration, document, yarpValidator: null);

        var problem = Assert.Single(problems, p => p.Key == key && p.Message.Contains("Session:Management:Urls", StringComparison.Ordinal));
        Assert.Contains("management listener only", problem.Message, StringComparison.Ordinal);
        Assert.NotNull(problem.Location);
    }

    [Theory]
    [InlineData("short-key", "too short")]
    [InlineData("0123456789012345678901234567890", "too short")] // 31 characters
    [InlineData("0123456789 0123456789 0123456789 0123456789", "space")]
    [InlineData("0123456789012345678901234567890123456789é", "non-ASCII")]
    public void InlineKey_Unusable_IsAProblemOnApiKey_WithoutTheValue(string value, string message)
    {
        var (document, configuration) = ConfigTestData.Load("Session:\n" + Management + "  Admin:\n    ApiKey: \"" + value + "\"\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(AdminSettings.ApiKeyKey, problem.Key);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(value, problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void InlineKey_OfExactlyTheMinimumLength_IsAccepted()
    {
        var key = new string('k', AdminSettings.MinimumKeyLength);
        var (document, configuration) = ConfigTestData.Load("Session:\n" + Management + "  Admin:\n    ApiKey: " + key + "\n");

        Assert.Empty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));
    }

    [Fact]
    public void BothAKeyFileAndAKey_IsAProblem()
    {
        var file = KeyFile(ValidKey);
        var (document, configuration) = ConfigTestData.Load($"Session:\n{Management}  Admin:\n    ApiKeyFile: {file}\n    ApiKey: {ValidKey}\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(AdminSettings.ApiKeyKey, problem.Key);
        Assert.Contains("not both", problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ValidKey, problem.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "holds no key")]
    [InlineData("  \n\n", "holds no key")]
    [InlineData("too-short\n", "too short")]
    [InlineData(ValidKey + "\n" + ValidKey + "\n", "line break")]
    public void KeyFile_Unusable_IsAProblemOnApiKeyFile_WithoutTheValue(string contents, string message)
    {
        var file = KeyFile(contents);
        var (document, configuration) = ConfigTestData.Load($"Session:\n{Management}  Admin:\n    ApiKeyFile: {file}\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(AdminSettings.ApiKeyFileKey, problem.Key);
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
        Assert.Contains(file, problem.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ValidKey, problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void KeyFile_Missing_IsAProblemOnApiKeyFile()
    {
        var (document, configuration) = ConfigTestData.Load($"Session:\n{Management}  Admin:\n    ApiKeyFile: {Path.Combine(_directory, "absent")}\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal(AdminSettings.ApiKeyFileKey, problem.Key);
        Assert.Contains("cannot read", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyFile_ReadableByOthers_IsReported()
    {
        var file = KeyFile(ValidKey);
        var settings = new AdminSettings { ApiKeyFile = file };
        Assert.Null(settings.ExposedKeyFile(_directory));

        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        Assert.Equal((file, "0644"), settings.ExposedKeyFile(_directory));
    }

    [Fact]
    public void ToString_NeverShowsTheKey()
    {
        var settings = new SessionSettings { Admin = new AdminSettings { ApiKey = ValidKey } };

        Assert.DoesNotContain(ValidKey, settings.ToString(), StringComparison.Ordinal);
        Assert.Contains("ApiKey = (set)", settings.Admin.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ChangedKeySettings_AreAStartOnlyChange()
    {
        var before = new SessionSettings { Admin = new AdminSettings { ApiKeyFile = "/run/secrets/a" } };
        var after = before with { Admin = new AdminSettings { ApiKeyFile = "/run/secrets/b" } };

        Assert.Contains("Session:Admin", before.StartOnlyChanges(after));
        Assert.DoesNotContain("Session:Admin", before.StartOnlyChanges(before));
    }

    private string KeyFile(string contents)
    {
        var path = Path.Combine(_directory, "key-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, contents);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
