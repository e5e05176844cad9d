using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>
/// The built gateway (<c>SessionGateway.dll</c>, copied next to the tests) as a child process on 127.0.0.1, the way
/// it runs in production: tests can SIGKILL it like a crashed container, stop it gracefully, and start it again on
/// the same port. Its stdout and stderr are kept for failure messages. Killed on dispose, whatever happened.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    /// <summary>Start-up includes the JIT and the store's migrations; generous, because tests run in parallel on 2 cores.</summary>
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);
    private const int SigTerm = 15;

    private readonly string _configPath;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly StringBuilder _output = new();
    private Process? _process;

    private GatewayProcess(string name, string configPath, int port, IReadOnlyDictionary<string, string> environment)
    {
        Name = name;
        _configPath = configPath;
        _environment = environment;
        Port = port;
        Address = new Uri($"http://127.0.0.1:{port}/");

        // One client for the replica's whole life: after a restart on the same port, a pooled connection to the
        // dead process is noticed as closed and replaced; while it is down, requests fail to connect.
        Client = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            AllowAutoRedirect = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        })
        {
            BaseAddress = Address,
            Timeout = TimeSpan.FromSeconds(15),
        };
    }

    /// <summary>A short name for messages (A, B, C...).</summary>
    public string Name { get; }

    public int Port { get; }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Everything the current and earlier runs printed, stderr lines marked <c>err:</c>.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the gateway with <paramref name="configPath"/> on a free port and waits until it answers.</summary>
    public static async Task<GatewayProcess> StartAsync(string name, string configPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        var gateway = new GatewayProcess(name, configPath, LoopbackPorts.Free(), environment ?? new Dictionary<string, string>());
        try
        {
            await gateway.LaunchAsync();
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Runs the gateway until it exits by itself (a start-up failure), bounded by <paramref name="timeout"/>; kills it
    /// and fails if it is still running then.
    /// </summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(
        string configPath, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout)
    {
        using var process = Process.Start(StartInfo(configPath, LoopbackPorts.Free(), environment ?? new Dictionary<string, string>()))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"the gateway was still running after {timeout.TotalSeconds:0} s:\n{await stdout}\n{await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>SIGKILL: no shutdown of any kind, as when a container is killed or the machine dies.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await WaitForExitAsync(process);
        }
    }

    /// <summary>SIGTERM and wait for a graceful exit (as <c>docker stop</c>); returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        var process = _process ?? throw new InvalidOperationException(Name + " was never started");
        if (!process.HasExited && SendSignal(process.Id, SigTerm) != 0)
        {
            throw new InvalidOperationException($"could not send SIGTERM to {Name} (pid {process.Id}): errno {Marshal.GetLastPInvokeError()}");
        }

        await WaitForExitAsync(process);
        return process.ExitCode;
    }

    /// <summary>Starts the gateway again, on the same port with the same configuration, after it was killed or stopped.</summary>
    public Task RestartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException(Name + " is still running; kill or stop it first");
        }

        return LaunchAsync();
    }

    /// <summary>
    /// Whether <see cref="Output"/> holds <paramref name="text"/> within <paramref name="timeout"/>. A log line reaches
    /// the test after the event it tells of: the gateway's console logger writes from a queue on its own thread and the
    /// test reads the pipe on another, so a response (or a closed port) can arrive before the line that the same code
    /// logged just before it. Bounded polling, not a sleep.
    /// </summary>
    public async Task<bool> OutputContainsAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        return await Poll.UntilAsync(clock, timeout, TimeSpan.FromMilliseconds(50), () =>
            Task.FromResult(Output.Contains(text, StringComparison.Ordinal))) is not null;
    }

    /// <summary>The last <paramref name="lines"/> lines of <see cref="Output"/>.</summary>
    public string OutputTail(int lines)
    {
        var all = Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            _process?.Dispose();
            Client.Dispose();
        }
    }

    private async Task LaunchAsync()
    {
        _process?.Dispose();
        Append($"--- {Name}: starting on port {Port}");
        var process = new Process { StartInfo = StartInfo(_configPath, Port, _environment), EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Append("err: " + e.Data);
            }
        };
        process.Start();
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await WaitUntilReadyAsync(process);
    }

    /// <summary>Ready when the JWKS answers: the engine is initialised (store open, keys loaded) before Kestrel listens.</summary>
    private async Task WaitUntilReadyAsync(Process process)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ReadyTimeout)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync(); // Flushes the redirected output.
                throw new InvalidOperationException($"gateway {Name} exited with code {process.ExitCode} before answering:\n{Output}");
            }

            try
            {
                using var response = await Client.GetAsync(".well-known/jwks.json");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"gateway {Name} did not answer within {ReadyTimeout.TotalSeconds:0} s:\n{Output}");
    }

    private async Task WaitForExitAsync(Process process)
    {
        using var deadline = new CancellationTokenSource(ExitTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"gateway {Name} did not exit within {ExitTimeout.TotalSeconds:0} s:\n{Output}");
        }
    }

    private void Append(string line)
    {
        lock (_output)
        {
            _output.Append(line).Append('\n');
        }
    }

    /// <summary>How the tests start the built gateway: <c>dotnet SessionGateway.dll --config .. --Urls ..</c>, in the config's folder.</summary>
    internal static ProcessStartInfo StartInfo(string configPath, int port, IReadOnlyDictionary<string, string> environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(configPath)!,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "SessionGateway.dll"));
        start.ArgumentList.Add("--config");
        start.ArgumentList.Add(configPath);
        start.ArgumentList.Add("--Urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    // .NET can send SIGKILL (Process.Kill) but not SIGTERM; libc's kill(2) can. DllImport, not LibraryImport,
    // which would need unsafe code enabled in the test project for this one int-only call.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>Sends SIGTERM to <paramref name="pid"/>; 0 when it was sent.</summary>
    internal static int SendSigTerm(int pid) => SendSignal(pid, SigTerm);
}
