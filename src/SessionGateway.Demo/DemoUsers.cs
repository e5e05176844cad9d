namespace SessionGateway.Demo;

/// <summary>
/// The demo's users file (<c>Session:Login:UsersFile</c>): one user whose password the demo page states. Written at
/// start into a fresh private folder (0700, the file 0600), so the committed proxy.yaml holds no known password and
/// a gateway started on it without the demo has no such user.
/// </summary>
internal static class DemoUsers
{
    public const string User = "demo";
    public const string Password = "gateway-demo";

    /// <summary>Writes the file (a bcrypt hash, as <c>htpasswd -B -C 10</c> would) and returns its path.</summary>
    public static string WriteFile()
    {
        var directory = Directory.CreateTempSubdirectory("sessiongateway-demo-").FullName;
        var path = Path.Combine(directory, "users.htpasswd");
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(path, options))
        {
            writer.Write($"{User}:{BCrypt.Net.BCrypt.HashPassword(Password, 10)}\n");
        }

        return path;
    }

    /// <summary>Removes the folder <see cref="WriteFile"/> made.</summary>
    public static void Delete(string path)
    {
        try
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp folder; nothing else depends on it.
        }
    }
}
