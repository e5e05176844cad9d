using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using SessionGateway.IntegrationTests.Deploy;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.ForwardAuth;

/// <summary>The proxies whose shipped forward-auth configuration is run for real.</summary>
public enum ProxyKind
{
    /// <summary>Debian's nginx with deploy/nginx (auth_request, the headers-more module).</summary>
    Nginx,

    /// <summary>Debian's Caddy with deploy/caddy/Caddyfile (forward_auth).</summary>
    Caddy,
}

/// <summary>
/// A real nginx or Caddy running the shipped configuration (deploy/nginx, deploy/caddy) on a loopback port, asking a
/// gateway and forwarding to an app on loopback: a child process of the test, rendered and started by
/// tests/proxies.sh (the same script the browser suite and the benchmark use), killed on dispose.
/// </summary>
internal sealed class ShippedProxy : IAsyncDisposable
{
    private static readonly string Script = RepositoryFiles.PathOf("tests", "proxies.sh");
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ShippedProxy(ProxyKind kind, string directory, int port, Process process)
    {
        Kind = kind;
        Directory = directory;
        Address = new Uri($"http://127.0.0.1:{port}/");
        _process = process;
    }

    public ProxyKind Kind { get; }

    public string Directory { get; }

    public Uri Address { get; }

    /// <summary>What the proxy printed, and its error log, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                var errorLog = Path.Combine(Directory, "error.log");
                return _output + (File.Exists(errorLog) ? File.ReadAllText(errorLog) : "");
            }
        }
    }

    /// <summary>Why <paramref name="kind"/> cannot run on this machine, or null (tests/run-all.sh installs both).</summary>
    public static string? Unavailable(ProxyKind kind)
    {
        var (exit, output) = RunScript("missing", Name(kind));
        return exit == 0 ? null : output.Trim();
    }

    public static async Task<ShippedProxy> StartAsync(ProxyKind kind, Uri gateway, Uri app)
    {
        var directory = Path.Combine(Path.GetTempPath(), $"sg-{Name(kind)}-{Guid.NewGuid():N}");
        var port = LoopbackPorts.Free();
        var (exit, output) = RunScript("render", Name(kind), directory, port.ToString(System.Globalization.CultureInfo.InvariantCulture), gateway.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), app.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (exit != 0)
        {
            throw new InvalidOperationException($"tests/proxies.sh render {Name(kind)} failed: {output}");
        }

        var process = new Process { StartInfo = ScriptStartInfo("run", Name(kind), directory) };
        var proxy = new ShippedProxy(kind, directory, port, process);
        process.OutputDataReceived += (_, e) => proxy.Append(e.Data);
        process.ErrorDataReceived += (_, e) => proxy.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await proxy.WaitUntilListeningAsync(port);
        }
        catch
        {
            await proxy.DisposeAsync();
            throw;
        }

        return proxy;
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open by a process on its way out; the temp folder is cleaned by the OS.
        }

        return ValueTask.CompletedTask;
    }

    private static string Name(ProxyKind kind) => kind == ProxyKind.Nginx ? "nginx" : "caddy";

    private async Task WaitUntilListeningAsync(int port)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                throw new InvalidOperationException($"{Kind} exited with code {_process.ExitCode} before listening:\n{Output}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(20);
            }
        }

        throw new TimeoutException($"{Kind} did not listen on {port} within 20 s:\n{Output}");
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.Append(line).Append('\n');
            }
        }
    }

    private static ProcessStartInfo ScriptStartInfo(params string[] arguments)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Script);
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return info;
    }

    private static (int Exit, string Output) RunScript(params string[] arguments)
    {
        using var process = Process.Start(ScriptStartInfo(arguments))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
