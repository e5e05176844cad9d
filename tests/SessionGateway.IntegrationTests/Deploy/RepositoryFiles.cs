namespace SessionGateway.IntegrationTests.Deploy;

/// <summary>Files of the repository the tests were built from (deploy/, Dockerfile), found above the test binaries.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "SessionGateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("no SessionGateway.sln above " + AppContext.BaseDirectory);
    }
}
