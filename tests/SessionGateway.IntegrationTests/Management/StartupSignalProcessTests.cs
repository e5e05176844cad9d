using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.Management;

/// <summary>
/// SIGTERM while the gateway is still starting (Kubernetes deletes a pod that has just been scheduled, a rollout is
/// undone): a clean stop, exit 0, no stack trace; not a crash (134) nor a death by the signal (143).
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class StartupSignalProcessTests
{
    private static readonly TimeSpan ExitWithin = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SigTermWhileTheStoreIsOpening_ExitsZero_WithoutAStackTrace()
    {
        // A "PostgreSQL server" that accepts the connection and never answers: the start waits in the store's opening
        // (the host's start waits for it before Kestrel binds) until the signal comes.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var directory = Directory.CreateTempSubdirectory("sg-sigterm-").FullName;
        var path = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(path, $$"""
            Session:
              Store:
                Provider: Postgres
                ConnectionString: Host=127.0.0.1;Port={{((IPEndPoint)silent.LocalEndpoint).Port}};Username=gateway;Password=x;Timeout=60
                BusyTimeout: 60s
            {{Upstream.CatchAllYaml("http://127.0.0.1:5001/")}}
            """);

        var (exitCode, output) = await RunAndSignalAsync(path, () => silent.AcceptTcpClientAsync().WaitAsync(ExitWithin));

        Assert.True(exitCode == 0, $"exit {exitCode}\n{output}");
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SigTermBeforeTheHostStarts_ExitsZero_WithoutAStackTrace()
    {
        // The warning about the key file's mode is printed while the application is being built, before the host has
        // installed its own signal handlers.
        var directory = Directory.CreateTempSubdirectory("sg-sigterm-").FullName;
        var keyFile = Path.Combine(directory, "kek");
        await File.WriteAllTextAsync(keyFile, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var path = Path.Combine(directory, "proxy.yaml");
        await File.WriteAllTextAsync(path, $$"""
            Session:
              KeyEncryption:
                KeyFile: {{keyFile}}
            {{Upstream.CatchAllYaml("http://127.0.0.1:5001/")}}
            """);

        var (exitCode, output) = await RunAndSignalAsync(path, line: "[4005]");

        Assert.Contains("[4005]", output, StringComparison.Ordinal);
        Assert.True(exitCode == 0, $"exit {exitCode}\n{output}");
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    /// <summary>
    /// Starts the gateway, sends SIGTERM when <paramref name="before"/> completes (or when it prints <paramref name="line"/>) and
    /// returns its exit code and everything it printed (stderr lines marked <c>err:</c>).
    /// </summary>
    private static async Task<(int ExitCode, string Output)> RunAndSignalAsync(string configPath, Func<Task<TcpClient>>? before = null, string? line = null)
    {
        var start = GatewayProcess.StartInfo(configPath, LoopbackPorts.Free(), new Dictionary<string, string>());
        start.Environment["Logging__Console__FormatterName"] = "simple";
        start.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";

        var output = new StringBuilder();
        var printed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data, "");
        process.ErrorDataReceived += (_, e) => Append(e.Data, "err: ");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var held = before is null ? null : await before();
            if (line is not null)
            {
                await printed.Task.WaitAsync(ExitWithin);
            }

            Assert.False(process.HasExited, "the gateway exited before the signal:\n" + output);
            Assert.Equal(0, GatewayProcess.SendSigTerm(process.Id));
            using var deadline = new CancellationTokenSource(ExitWithin);
            await process.WaitForExitAsync(deadline.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }

        void Append(string? text, string prefix)
        {
            if (text is null)
            {
                return;
            }

            lock (output)
            {
                output.Append(prefix).Append(text).Append('\n');
            }

            if (line is not null && text.Contains(line, StringComparison.Ordinal))
            {
                printed.TrySetResult();
            }
        }
    }

}
