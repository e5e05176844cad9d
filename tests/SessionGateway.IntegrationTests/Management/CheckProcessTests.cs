using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.Management;

/// <summary><c>SessionGateway --config proxy.yaml --check</c> as CI or an init container runs it.</summary>
public sealed class CheckProcessTests
{
    [Fact]
    public async Task GoodConfig_ExitsZeroWithOneOkLine_OpensTheStore_WithoutListening()
    {
        var directory = Directory.CreateTempSubdirectory("sg-check-").FullName;
        var path = Path.Combine(directory, "proxy.yaml");
        // The traffic and management ports are taken: a check that tried to listen would fail.
        using var traffic = new TcpListener(IPAddress.Loopback, 0);
        traffic.Start();
        using var management = new TcpListener(IPAddress.Loopback, 0);
        management.Start();
        await File.WriteAllTextAsync(path, $$"""
            Urls: http://127.0.0.1:{{((IPEndPoint)traffic.LocalEndpoint).Port}}
            Session:
              Management:
                Urls: http://127.0.0.1:{{((IPEndPoint)management.LocalEndpoint).Port}}
            {{Upstream.CatchAllYaml("http://127.0.0.1:5001/")}}
            """);

        var (exitCode, stdout, stderr) = await RunAsync(directory, "--config", path, "--check");

        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains($"SessionGateway: configuration OK: {path} (store opened, signing keys loaded)", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(directory, "sessions.db")), "the check opens (and migrates) the store as a start does");
    }

    [Fact]
    public async Task BadConfig_ExitsTwoListingEveryProblem()
    {
        var directory = Directory.CreateTempSubdirectory("sg-check-").FullName;
        var path = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(path, """
            Urls: http://127.0.0.1:8080
            Session:
              Management:
                Urls: http://0.0.0.0:8080
              Headers:
                UserIdd: X-Who
            """);

        var (exitCode, stdout, stderr) = await RunAsync(directory, "--config", path, "--check");

        Assert.Equal(2, exitCode);
        Assert.Contains("the configuration has 2 problem(s); check failed.", stderr, StringComparison.Ordinal);
        Assert.Contains($"{path}:4:5: Session:Management:Urls: port 8080 is also a traffic port", stderr, StringComparison.Ordinal);
        Assert.Contains($"{path}:6:5: Session:Headers:UserIdd: unknown key", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("configuration OK", stdout, StringComparison.Ordinal);
    }

    /// <summary>
    /// Found by YamlDocumentParserProperties: the validator named these keys, but the start built the identity header
    /// transform from the settings first, which held the null the value binds as, and died with a stack trace.
    /// </summary>
    [Theory]
    [InlineData("ReservedPrefix:", "4:5: Session:Headers:ReservedPrefix: needs a value")]
    [InlineData("Claims:\n    role: [X-User-Role]", "5:9: Session:Headers:Claims:role: expects a single value, not a section")]
    public async Task ValueThatBindsAsNull_StartExitsTwoNamingTheKey(string headers, string expected)
    {
        var directory = Directory.CreateTempSubdirectory("sg-check-").FullName;
        var path = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(path, $$"""
            Urls: http://127.0.0.1:{{LoopbackPorts.Free()}}
            Session:
              Headers:
                {{headers.Replace("\n", "\n    ", StringComparison.Ordinal)}}
            {{Upstream.CatchAllYaml("http://127.0.0.1:5001/")}}
            """);

        var (exitCode, stdout, stderr) = await RunAsync(directory, "--config", path);

        Assert.True(exitCode == 2, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains("the configuration has 1 problem(s); not starting.", stderr, StringComparison.Ordinal);
        Assert.True(stderr.Contains($"{path}:{expected}", StringComparison.Ordinal), stderr);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreachableStore_ExitsTwoNamingTheConnectionString()
    {
        var directory = Directory.CreateTempSubdirectory("sg-check-").FullName;
        var path = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(path, $$"""
            Session:
              Store:
                Provider: Postgres
                ConnectionString: Host=127.0.0.1;Port={{LoopbackPorts.Free()}};Username=gateway;Password=not-printed;Timeout=2
                BusyTimeout: 2s
            {{Upstream.CatchAllYaml("http://127.0.0.1:5001/")}}
            """);

        var (exitCode, stdout, stderr) = await RunAsync(directory, "--config", path, "--check");

        Assert.Equal(2, exitCode);
        Assert.Contains("Session:Store:ConnectionString: cannot open the session store", stderr, StringComparison.Ordinal);
        Assert.Contains($"(configuration file: {path})", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("not-printed", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    /// <summary>
    /// Addresses Kestrel refuses only when it binds (or, for a port that is no number, binds as [::]:80): a start used to
    /// exit 1 (or listen) where --check said OK. Now both exit 2 naming the key.
    /// </summary>
    [Theory]
    [InlineData("Urls: ftp://127.0.0.1:{0}", "Urls: 'ftp://127.0.0.1:")]
    [InlineData("Urls: http://127.0.0.1:99999", "Urls: 'http://127.0.0.1:99999' has the port 99999")]
    [InlineData("Urls: https://127.0.0.1:{0}", "no certificate is configured")]
    [InlineData("Urls: http://127.0.0.1:notaport", "Urls: 'http://127.0.0.1:notaport' does not end in a port number")]
    [InlineData("Urls: http://127.0.0.1:{0}\nSession:\n  Management:\n    Urls: \"http://0.0.0.0:{1};http://[::]:{1}\"", "Session:Management:Urls: 'http://0.0.0.0:")]
    public async Task ListenAddressKestrelWouldRefuse_CheckAndStartBothExitTwo_NamingTheKey(string urls, string expected)
    {
        var directory = Directory.CreateTempSubdirectory("sg-check-").FullName;
        var path = Path.Combine(directory, "proxy.yaml");
        var yaml = string.Format(CultureInfo.InvariantCulture, urls, LoopbackPorts.Free(), LoopbackPorts.Free());
        await File.WriteAllTextAsync(path, yaml + "\n" + Upstream.CatchAllYaml("http://127.0.0.1:5001/"));

        foreach (var args in new[] { new[] { "--config", path, "--check" }, ["--config", path] })
        {
            var (exitCode, stdout, stderr) = await RunAsync(directory, args);

            Assert.True(exitCode == 2, $"{string.Join(' ', args)}: exit {exitCode}\n{stdout}\n{stderr}");
            Assert.Contains(expected, stderr, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// The README's way, as a new user types it: <c>dotnet run --project src/SessionGateway</c> in the repository root
    /// reads the root's proxy.yaml (the Web SDK would run it in src/SessionGateway, where there is none).
    /// </summary>
    [Fact]
    public async Task DotnetRunFromTheRepositoryRoot_ReadsTheRootsProxyYaml()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "SessionGateway.sln")))
        {
            root = Path.GetDirectoryName(root) ?? throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
        }

        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Debug" : "Release";
        var database = Path.Combine(Directory.CreateTempSubdirectory("sg-check-").FullName, "sessions.db");

        var (exitCode, stdout, stderr) = await RunCommandAsync(
            root,
            new Dictionary<string, string> { ["Session__Store__ConnectionString"] = database },
            "run", "--no-build", "-c", configuration, "--project", "src/SessionGateway", "--", "--check");

        Assert.True(exitCode == 0, $"exit {exitCode}\n{stdout}\n{stderr}");
        Assert.Contains($"configuration OK: {Path.Combine(root, "proxy.yaml")} ", stdout, StringComparison.Ordinal);
    }

    private static Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string workingDirectory, params string[] args) =>
        RunCommandAsync(workingDirectory, new Dictionary<string, string>(), [Path.Combine(AppContext.BaseDirectory, "SessionGateway.dll"), .. args]);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunCommandAsync(
        string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} still running after 90 s:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
