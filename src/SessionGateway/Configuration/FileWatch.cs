namespace SessionGateway.Configuration;

/// <summary>
/// Watches one file through its folder (not the folders below it), so that edits by replacement (editors, <c>mv</c>)
/// and a Kubernetes ConfigMap or Secret volume's swap of its hidden <c>..data</c> entry are seen as edits of the file.
/// Used for proxy.yaml and the users file.
/// </summary>
internal static class FileWatch
{
    /// <summary>
    /// A running watcher that calls <paramref name="onEdit"/> for every event that may be an edit of
    /// <paramref name="path"/>, and when events were lost (the kernel's queue overflowed: reading again costs little).
    /// <paramref name="attributes"/>: a change of mode counts too (for a file whose readability is checked).
    /// </summary>
    public static FileSystemWatcher Start(string path, Action onEdit, bool attributes = false)
    {
        var name = Path.GetFileName(path);
        var watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size |
                (attributes ? NotifyFilters.Attributes : 0),
        };
        FileSystemEventHandler changed = (_, e) =>
        {
            if (IsEditOf(e.Name, name))
            {
                onEdit();
            }
        };
        watcher.Changed += changed;
        watcher.Created += changed;
        watcher.Deleted += changed;
        watcher.Renamed += (_, e) =>
        {
            if (IsEditOf(e.Name, name) || IsEditOf(e.OldName, name))
            {
                onEdit();
            }
        };
        watcher.Error += (_, _) => onEdit();
        watcher.EnableRaisingEvents = true;
        return watcher;
    }

    /// <summary>The file itself, and the hidden entries (<c>..data</c>) through which a Kubernetes volume swaps in new versions.</summary>
    private static bool IsEditOf(string? changed, string name) =>
        changed is not null && (string.Equals(changed, name, StringComparison.Ordinal) || changed.StartsWith("..", StringComparison.Ordinal));
}
