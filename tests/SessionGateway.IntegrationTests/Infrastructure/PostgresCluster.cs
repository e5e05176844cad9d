using System.Diagnostics;
using Npgsql;
using SessionGateway.Testing;

namespace SessionGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A PostgreSQL server of the test's own, run through <c>tests/postgres.sh</c>, for tests that stop, kill or
/// restart the server: doing that to the shared test server would break every other test running in parallel.
/// Lives in a fresh short folder under /tmp (the server's unix socket path is limited to 107 bytes) on a free port;
/// stopped and deleted on dispose.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    // initdb plus a start that waits up to 60 s (pg_ctl -w -t 60) in the script.
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(90);

    private readonly string _script;

    private PostgresCluster(string script, string directory, int port)
    {
        _script = script;
        Directory = directory;
        Port = port;
    }

    public string Directory { get; }

    public int Port { get; }

    /// <summary>Superuser <c>postgres</c>, no password (the script's cluster trusts loopback), database <c>postgres</c>.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Database = "postgres",
    }.ConnectionString;

    /// <summary>
    /// Creates and starts a cluster. Skips the calling test (a SkippableFact) when no PostgreSQL is provided
    /// (<see cref="PostgresTestServer.ConnectionVariable"/> unset: no server binaries are expected either) or the
    /// script cannot be found.
    /// </summary>
    public static async Task<PostgresCluster> CreateAsync()
    {
        PostgresTestServer.RequireConnectionString();
        var script = FindScript();
        Skip.If(script is null, $"tests/postgres.sh not found: set {PostgresTestServer.ScriptVariable} to its absolute path");
        var cluster = new PostgresCluster(script!, "/tmp/sg-pg-" + Guid.NewGuid().ToString("N")[..8], LoopbackPorts.Free());
        try
        {
            await cluster.StartAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (creating the cluster the first time) and waits until it accepts connections.</summary>
    public Task StartAsync() => RunAsync("start", Directory, Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Fast shutdown: sessions are disconnected, the server is down until <see cref="StartAsync"/>.</summary>
    public Task StopAsync() => RunAsync("stop", Directory);

    /// <summary>Immediate shutdown, as after a crash: no checkpoint, crash recovery on the next start.</summary>
    public Task KillAsync() => RunAsync("kill", Directory);

    /// <summary>Fast shutdown and start again on the same port.</summary>
    public Task RestartAsync() => RunAsync("restart", Directory);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsync("remove", Directory);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Leaves a stopped or half-removed folder in /tmp; not worth failing a test that already ran.
        }
    }

    private async Task RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(_script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"postgres.sh {string.Join(' ', arguments)} took longer than {ScriptTimeout.TotalSeconds:0} s");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"postgres.sh {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}{await stderr}");
        }
    }

    /// <summary>The script from <see cref="PostgresTestServer.ScriptVariable"/>, else found above the test binaries.</summary>
    private static string? FindScript()
    {
        if (Environment.GetEnvironmentVariable(PostgresTestServer.ScriptVariable) is { Length: > 0 } configured)
        {
            return File.Exists(configured) ? Path.GetFullPath(configured) : null;
        }

        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "postgres.sh");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
