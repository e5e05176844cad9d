using System.Diagnostics;
using SessionGateway.Storage;

namespace SessionGateway.Tests.Engine.Storage;

public sealed class CrashTests
{
    private const string ProbeDll = "SessionGateway.CrashProbe.dll";

    /// <summary>
    /// The probe runs from its own output folder (bin/{config}/{tfm} of its project), where its deps.json
    /// matches the files; the copy next to the tests lacks packages the test host gets from the ASP.NET Core
    /// shared framework. The test project's ProjectReference guarantees it is built.
    /// </summary>
    private static string LocateProbe()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        for (var dir = testOutput.Parent; dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "SessionGateway.CrashProbe", "bin", configuration, tfm, ProbeDll);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        var nextToTests = Path.Combine(AppContext.BaseDirectory, ProbeDll);
        Assert.True(File.Exists(nextToTests), "crash probe not found; expected it beside its project or the tests");
        return nextToTests;
    }

    [Fact]
    public async Task Sigkill_DuringRotationLoop_LosesNoReportedCommitAndKeepsFileIntact()
    {
        using var database = new TempDatabase();
        var probe = LocateProbe();
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(probe);
        start.ArgumentList.Add(database.FilePath);

        // Kill at a different point each run, from the first few hundred writes to past a few background checkpoints
        // (one per SqliteSessionStore.CommitsPerBackgroundCheckpoint writes), which may then be under way.
        var killAfter = Random.Shared.Next(150, 3 * SqliteSessionStore.CommitsPerBackgroundCheckpoint);
        var lastReported = new Dictionary<string, string>(StringComparer.Ordinal);
        var reported = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            string? line;
            while ((line = await child.StandardOutput.ReadLineAsync(timeout.Token)) is not null)
            {
                var parts = line.Split(' ');
                if (parts is ["committed", var handle, var hash] && hash.Length == 64)
                {
                    lastReported[handle] = hash;
                    if (++reported == killAfter)
                    {
                        child.Kill(); // SIGKILL on Unix: no flush, no finalizers, no WAL checkpoint.
                    }
                }
            }
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill();
            }
        }

        await child.WaitForExitAsync(timeout.Token);
        Assert.True(reported >= killAfter, $"probe stopped after {reported} writes: {await stderr}");

        var store = new SqliteSessionStore(database.StoreOptions());
        Assert.Equal("ok", await store.CheckIntegrityAsync(CancellationToken.None));
        foreach (var (handle, hash) in lastReported)
        {
            var row = await store.FindAsync(handle, CancellationToken.None);
            Assert.NotNull(row);
            // The probe may have committed one more rotation after its last line; then the reported hash is previous.
            Assert.True(row.CurrentHash == hash || row.PreviousHash == hash, $"session {handle} lost its reported rotation");
        }
    }
}
