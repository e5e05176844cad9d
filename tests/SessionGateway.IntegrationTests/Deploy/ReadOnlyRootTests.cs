using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using SessionGateway.IntegrationTests.Infrastructure;

namespace SessionGateway.IntegrationTests.Deploy;

/// <summary>
/// The gateway as the image runs it under Kubernetes' readOnlyRootFilesystem (no Docker daemon here to build the image):
/// its files, its working directory, proxy.yaml, the key file and $HOME read-only, only a /data-like and a /tmp-like
/// folder writable. As root (CI), the gateway runs as an unprivileged user, since root would write through any mode.
/// </summary>
[UnsupportedOSPlatform("windows")]
public sealed class ReadOnlyRootTests
{
    private const int Nobody = 65534;
    private const int SigTerm = 15;

    [Fact]
    public async Task Gateway_StartsServesAndStops_WritingOnlyToDataAndTmp()
    {
        var root = Directory.CreateTempSubdirectory("sg-readonly-").FullName;
        var app = Path.Combine(root, "app");
        var config = Path.Combine(root, "config");
        var secrets = Path.Combine(root, "secrets");
        var home = Path.Combine(root, "home");
        var data = Path.Combine(root, "data");
        var tmp = Path.Combine(root, "tmp");
        try
        {
            CopyDirectory(AppContext.BaseDirectory, app);
            Directory.CreateDirectory(config);
            Directory.CreateDirectory(secrets);
            Directory.CreateDirectory(home);
            Directory.CreateDirectory(data);
            Directory.CreateDirectory(tmp);
            var port = LoopbackPorts.Free();
            await File.WriteAllTextAsync(Path.Combine(config, "proxy.yaml"), $$"""
                Urls: http://127.0.0.1:{{port}}
                Session:
                  Store:
                    ConnectionString: {{data}}/sessions.db
                  KeyEncryption:
                    KeyFile: {{secrets}}/kek
                ReverseProxy:
                  Routes:
                    site:
                      ClusterId: app
                      AuthorizationPolicy: anonymous
                      Match:
                        Path: "{**catch-all}"
                  Clusters:
                    app:
                      Destinations:
                        local:
                          Address: http://127.0.0.1:9/
                """);
            var kek = Path.Combine(secrets, "kek");
            await File.WriteAllTextAsync(kek, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) + "\n");
            File.SetUnixFileMode(kek, UnixFileMode.UserRead);

            var asRoot = Environment.UserName == "root";
            if (asRoot)
            {
                // Owned by the gateway's user, as the kubelet's fsGroup makes /data and the Secret's file.
                foreach (var writable in new[] { data, tmp, kek })
                {
                    Chown(writable, Nobody);
                }
            }

            // Everything but /data and /tmp loses its write bits (the root folder keeps only search for others).
            foreach (var readOnly in new[] { app, config, home })
            {
                MakeReadOnly(readOnly);
            }

            File.SetUnixFileMode(secrets, UnixFileMode.UserRead | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            var before = Snapshot(app, config, home, secrets);

            var start = new ProcessStartInfo(asRoot ? "setpriv" : "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                WorkingDirectory = app,
            };
            if (asRoot)
            {
                foreach (var argument in new[] { $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "dotnet" })
                {
                    start.ArgumentList.Add(argument);
                }
            }

            start.ArgumentList.Add(Path.Combine(app, "SessionGateway.dll"));
            start.ArgumentList.Add("--config");
            start.ArgumentList.Add(Path.Combine(config, "proxy.yaml"));
            start.Environment["HOME"] = home;
            start.Environment["TMPDIR"] = tmp;
            start.Environment.Remove("Urls");

            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) };
                HttpStatusCode? status = null;
                var clock = Stopwatch.StartNew();
                while (status is null && !process.HasExited && clock.Elapsed < TimeSpan.FromSeconds(30))
                {
                    try
                    {
                        using var response = await client.GetAsync(".well-known/jwks.json");
                        status = response.StatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        await Task.Delay(100); // Not listening yet.
                    }
                }

                Assert.True(status == HttpStatusCode.OK, $"JWKS answered {status}:\n{Output()}");

                Assert.Equal(0, Kill(process.Id, SigTerm));
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await process.WaitForExitAsync(deadline.Token);
                Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}:\n{Output()}");
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }

            Assert.True(File.Exists(Path.Combine(data, "sessions.db")), Output());
            Assert.Equal(before, Snapshot(app, config, home, secrets));
            Assert.DoesNotContain("fail:", Output(), StringComparison.Ordinal);

            string Output() => (stdout.IsCompleted ? stdout.Result : "") + (stderr.IsCompleted ? stderr.Result : "");
        }
        finally
        {
            RestoreWritable(root);
            Directory.Delete(root, recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.EnumerateDirectories(from))
        {
            CopyDirectory(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }

    private static void MakeReadOnly(string path)
    {
        const UnixFileMode Read = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        const UnixFileMode Search = UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;
        foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories))
        {
            File.SetUnixFileMode(file, Read | (File.GetUnixFileMode(file) & Search));
        }

        foreach (var directory in Directory.EnumerateDirectories(path, "*", SearchOption.AllDirectories).Append(path))
        {
            File.SetUnixFileMode(directory, Read | Search);
        }
    }

    private static void RestoreWritable(string path)
    {
        foreach (var directory in Directory.EnumerateDirectories(path, "*", SearchOption.AllDirectories).Append(path))
        {
            File.SetUnixFileMode(directory, File.GetUnixFileMode(directory) | UnixFileMode.UserWrite);
        }
    }

    /// <summary>Every file and folder under the read-only parts, with its size and time of last write.</summary>
    private static List<string> Snapshot(params string[] roots) =>
        roots.SelectMany(r => Directory.EnumerateFileSystemEntries(r, "*", SearchOption.AllDirectories).Append(r))
            .Select(p => $"{p} {(File.Exists(p) ? new FileInfo(p).Length : -1)} {File.GetLastWriteTimeUtc(p).Ticks}")
            .Order(StringComparer.Ordinal)
            .ToList();

    private static void Chown(string path, int user)
    {
        if (ChangeOwner(path, user, user) != 0)
        {
            throw new InvalidOperationException($"chown {path}: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ChangeOwner([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int owner, int group);

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
