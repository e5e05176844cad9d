using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.ScaleOut;

/// <summary>
/// The gateway process refusing to start on a PostgreSQL store it cannot use: exit code 2 and one readable line.
/// Needs no PostgreSQL server (nobody listens on the port), so it runs everywhere, and in parallel with the rest:
/// these processes exit at once.
/// </summary>
public sealed class StoreStartupTests
{
    private const string Password = "pw-Secret-7f3a";
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task UnreachableServer_Exits2_WithOneLineNamingTheSetting_NoStackTrace_NoPassword()
    {
        var directory = Directory.CreateTempSubdirectory("sg-store-").FullName;
        var configPath = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(configPath, """
            Session:
              Store:
                Provider: postgres
            ReverseProxy: {}
            """);
        var environment = new Dictionary<string, string>
        {
            ["Session__Store__ConnectionString"] = $"Host=127.0.0.1;Port={LoopbackPorts.Free()};Username=gateway;Password={Password};Database=sessions;Timeout=3",
        };

        var (exitCode, stdout, stderr) = await GatewayProcess.RunToExitAsync(configPath, environment, ExitWithin);
        Directory.Delete(directory, recursive: true);

        Assert.True(exitCode == 2, $"exit code {exitCode}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("SessionGateway: Session:Store:ConnectionString: cannot open the session store (", line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, stderr + stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MalformedConnectionString_Exits2_WithTheFileLineAndKey_NoPassword()
    {
        var directory = Directory.CreateTempSubdirectory("sg-store-").FullName;
        var configPath = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(configPath, $"""
            Session:
              Store:
                Provider: postgres
                ConnectionString: "Host=127.0.0.1;Password={Password};Port=not-a-number"
            ReverseProxy: {"{}"}
            """);

        var (exitCode, stdout, stderr) = await GatewayProcess.RunToExitAsync(configPath, environment: null, ExitWithin);
        Directory.Delete(directory, recursive: true);

        Assert.True(exitCode == 2, $"exit code {exitCode}\nstdout:\n{stdout}\nstderr:\n{stderr}");
        Assert.Contains($"{configPath}:4:5: Session:Store:ConnectionString", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, stderr + stdout, StringComparison.Ordinal);
    }
}
