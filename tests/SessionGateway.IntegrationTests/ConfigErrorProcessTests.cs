using System.Diagnostics;

namespace SessionGateway.IntegrationTests;

/// <summary>The published gateway as a process: a broken configuration stops it with a clear message.</summary>
public sealed class ConfigErrorProcessTests
{
    private const string ReverseProxyHead = "ReverseProxy:\n  Clusters:\n    app:\n      Destinations:\n        one:\n          Address: http://127.0.0.1:9/\n  Routes:\n    web:\n      ClusterId: app\n      Match:\n        Path: /{**rest}\n";

    [Fact]
    public async Task BrokenConfig_ExitsNonZero_NamingFileLineAndKey_WithoutStackTrace()
    {
        var directory = Directory.CreateTempSubdirectory("sg-bad-").FullName;
        var path = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(path, """
            Session:
              Headers:
                UserIdd: X-Who
            ReverseProxy:
              Routes:
                web:
                  ClusterId: missing
                  Match:
                    Path: /{**rest}
            """);

        var (exitCode, stderr, _) = await RunGatewayAsync("--config", path);

        Assert.Equal(2, exitCode);
        Assert.Contains($"{path}:3:5: Session:Headers:UserIdd: unknown key 'UserIdd' (did you mean 'UserId'?)", stderr, StringComparison.Ordinal);
        Assert.Contains($"{path}:7:7: ReverseProxy:Routes:web:ClusterId: route 'web' names cluster 'missing'", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MisspeltSessionSection_ExitsWithoutCreatingADatabase()
    {
        // The session store begins opening before YARP's part of the configuration is checked, but only once the
        // top-level keys and the Session section are valid: a misspelt section must not open (and create) a store
        // with the defaults.
        var directory = Directory.CreateTempSubdirectory("sg-bad-").FullName;
        var path = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(path, """
            Sesion:
              Store:
                ConnectionString: elsewhere.db
            ReverseProxy:
              Routes:
                web:
                  ClusterId: app
                  Match:
                    Path: /{**rest}
              Clusters:
                app:
                  Destinations:
                    one:
                      Address: http://127.0.0.1:9/
            """);

        var (exitCode, stderr, _) = await RunGatewayAsync("--config", path);

        Assert.Equal(2, exitCode);
        Assert.Contains("unknown top-level key 'Sesion'", stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(directory, "*.db*"));
    }

    [Theory]
    [InlineData("Logging:\n  LogLevel:\n    Default: Informational\n", "3:5: Logging:LogLevel:Default")]
    [InlineData("Urls: htp:/127.0.0.1:x\n", "1:1: Urls")]
    [InlineData("Session:\n  AccessTokenLifetime: 99999999999d\n", "2:3: Session:AccessTokenLifetime")]
    [InlineData("Session:\n  Store:\n    ConnectionString: /nonexistent/dir/sessions.db\n", "3:5: Session:Store:ConnectionString")]
    [InlineData(ReverseProxyHead + "      Order: abc\n", "1:1: ReverseProxy")]
    [InlineData(ReverseProxyHead + "      RouteId: web\n", "1:1: ReverseProxy")]
    public async Task ValueThatWouldFailAtStart_IsAConfigProblemWithItsLine(string yaml, string where)
    {
        var directory = Directory.CreateTempSubdirectory("sg-bad-").FullName;
        var path = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(path, yaml);

        var (exitCode, stderr, stdout) = await RunGatewayAsync("--config", path);

        Assert.Equal(2, exitCode);
        Assert.Contains($"{path}:{where}", stderr, StringComparison.Ordinal);
        // Container logs merge the two streams: no stack trace in either.
        Assert.DoesNotContain("   at ", stderr + stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingConfigFile_ExitsNonZero_NamingThePath()
    {
        var path = Path.Combine(Path.GetTempPath(), "sg-none-" + Guid.NewGuid().ToString("N"), "proxy.yaml");

        var (exitCode, stderr, _) = await RunGatewayAsync("--config", path);

        Assert.Equal(2, exitCode);
        Assert.Contains(path, stderr, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Stderr, string Stdout)> RunGatewayAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SessionGateway.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stderr, await stdout);
    }
}
