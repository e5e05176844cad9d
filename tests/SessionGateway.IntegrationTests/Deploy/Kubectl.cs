using System.Diagnostics;
using System.Text.RegularExpressions;

namespace SessionGateway.IntegrationTests.Deploy;

/// <summary>
/// <c>kubectl kustomize</c>, where a kubectl able to render the manifests is installed (tests/kubernetes.sh, called by
/// tests/run-all.sh, says where it comes from). <see cref="Unavailable"/> is the reason to skip otherwise.
/// </summary>
internal static partial class Kubectl
{
    private static readonly Lazy<string?> Reason = new(FindReason);

    /// <summary>Null when kubectl can render; otherwise why not.</summary>
    public static string? Unavailable => Reason.Value;

    public static string Kustomize(string directory)
    {
        var (exitCode, stdout, stderr) = Run("kustomize", directory);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"kubectl kustomize {directory} exited with {exitCode}:\n{stderr}");
        }

        return stdout;
    }

    private static string? FindReason()
    {
        (int ExitCode, string Stdout, string Stderr) version;
        try
        {
            version = Run("version", "--client");
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "kubectl is not installed (tests/kubernetes.sh explains where it can come from)";
        }

        // kubectl before 1.21 bundles kustomize v2, which takes a folder only under "bases:", not "resources:".
        var match = KustomizeVersion().Match(version.Stdout);
        return match.Success && int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 4
            ? null
            : $"kubectl's kustomize is older than v4 and cannot render these kustomizations: {version.Stdout.Trim()}";
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("kubectl " + string.Join(' ', arguments) + " did not exit within 60 s");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    [GeneratedRegex(@"Kustomize Version: v(\d+)")]
    private static partial Regex KustomizeVersion();
}
