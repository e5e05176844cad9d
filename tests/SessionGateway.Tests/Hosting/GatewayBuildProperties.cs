using CsCheck;
using SessionGateway.Hosting;
using SessionGateway.Tests.Configuration;

namespace SessionGateway.Tests.Hosting;

/// <summary>
/// The start over generated edits of the committed proxy.yaml (CsCheck): building the gateway either gives an
/// application or the list of problems a start prints, never an exception. The validator alone is not enough to show
/// this: the start builds services from the settings too (a null bound where the validator had already named the key
/// once ended a start with a stack trace).
/// </summary>
[Trait("Category", PropertyRun.Category)]
public sealed class GatewayBuildProperties
{
    private static readonly string ProxyYaml = File.ReadAllText(ConfigTestData.RepositoryFile("proxy.yaml"));

    [Fact]
    public void Build_EditsOfTheRealProxyYaml_GiveAnApplicationOrProblems()
    {
        ProxyYamlEdits.Of(ProxyYaml).Sample(
            text => BuildAsync(text).GetAwaiter().GetResult(),
            iter: PropertyRun.Iter(100),
            threads: PropertyRun.Threads);
    }

    private static async Task BuildAsync(string text)
    {
        var directory = Directory.CreateTempSubdirectory("sg-build-").FullName;
        try
        {
            var path = Path.Combine(directory, "proxy.yaml");
            await File.WriteAllTextAsync(path, text);
            var build = GatewayHost.Build(["--config", path, "--Urls", "http://127.0.0.1:0"]);
            build.ConfigFile?.Dispose();
            if (build.App is { } app)
            {
                // Disposing waits for the session store the build began opening in the folder.
                await app.DisposeAsync();
            }

            Assert.True(build.App is not null ^ build.Problems.Count > 0);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
