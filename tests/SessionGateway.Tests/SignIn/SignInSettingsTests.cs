using SessionGateway.Configuration;
using SessionGateway.Tests.Configuration;

namespace SessionGateway.Tests.SignIn;

public sealed class SignInSettingsTests
{
    [Fact]
    public void Validate_UsersFileThatIsMissing_NamesTheKeyTheLineAndThePath()
    {
        var missing = Path.Combine(Path.GetTempPath(), "sg-none-" + Guid.NewGuid().ToString("N"), "users.htpasswd");
        var (document, configuration) = ConfigTestData.Load($"Session:\n  Login:\n    UsersFile: {missing}\n");

        var problem = Assert.Single(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

        Assert.Equal("Session:Login:UsersFile", problem.Key);
        Assert.Equal(3, problem.Location!.Value.Line);
        Assert.Contains($"cannot read '{missing}'", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/refresh")]
    [InlineData("/api/signout/")]
    [InlineData("signin")]
    public void Validate_SignInPathClashingOrNotAPath_IsAProblem_OnlyWithAUsersFile(string path)
    {
        var file = Path.GetTempFileName();
        try
        {
            var (document, configuration) = ConfigTestData.Load($"Session:\n  Login:\n    UsersFile: {file}\n    SignInPath: {path}\n");
            Assert.NotEmpty(GatewayConfigValidator.Validate(configuration, document, yarpValidator: null));

            var (without, withoutConfiguration) = ConfigTestData.Load($"Session:\n  Login:\n    SignInPath: {path}\n");
            Assert.Empty(GatewayConfigValidator.Validate(withoutConfiguration, without, yarpValidator: null));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void StartOnlyChanges_TheUsersFileAndSignInPath_AreReadAtStart_TheLoginHeadersAreNot()
    {
        var before = new SessionSettings();

        Assert.Equal(["Session:Login:UsersFile"], before.StartOnlyChanges(before with { Login = before.Login with { UsersFile = "users" } }));
        Assert.Equal(["Session:Login:SignInPath"], before.StartOnlyChanges(before with { Login = before.Login with { SignInPath = "/in" } }));
        Assert.Empty(before.StartOnlyChanges(before with { Login = before.Login with { CreateHeader = "X-Login" } }));
    }
}
