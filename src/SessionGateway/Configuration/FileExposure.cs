namespace SessionGateway.Configuration;

/// <summary>
/// Whether a file holding a secret (the key-encryption key, a client secret, password hashes) can be read by other
/// users of the host: the gateway warns about group or other read access at start.
/// </summary>
internal static class FileExposure
{
    /// <summary>
    /// The file's mode (octal) when group or other users may read it; null when it is private, missing, or on Windows.
    /// </summary>
    public static string? ExposedMode(string path)
    {
        if (OperatingSystem.IsWindows() || !File.Exists(path))
        {
            return null;
        }

        // Through a symbolic link (a Kubernetes Secret mount is one) the mode that matters is the target's.
        var mode = File.GetUnixFileMode(File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path);
        const UnixFileMode groupOrOther = UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        return (mode & groupOrOther) == 0 ? null : Convert.ToString((int)mode, 8).PadLeft(4, '0');
    }

    /// <summary>As <see cref="ExposedMode"/> for a configured path (relative to proxy.yaml's folder); null when not configured.</summary>
    public static (string Path, string Mode)? Exposed(string? configuredPath, string configDirectory)
    {
        if (string.IsNullOrWhiteSpace(configuredPath))
        {
            return null;
        }

        var path = Path.GetFullPath(configuredPath, configDirectory);
        return ExposedMode(path) is { } mode ? (path, mode) : null;
    }
}
