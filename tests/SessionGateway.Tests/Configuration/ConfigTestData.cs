using Microsoft.Extensions.Configuration;
using SessionGateway.Configuration;

namespace SessionGateway.Tests.Configuration;

/// <summary>Turns YAML text into the document and configuration the gateway would build from it.</summary>
internal static class ConfigTestData
{
    public static (YamlDocument Document, IConfigurationRoot Configuration) Load(string yaml, IDictionary<string, string?>? overrides = null)
    {
        var parsed = YamlDocumentParser.Parse("proxy.yaml", yaml);
        Assert.Empty(parsed.Problems);
        var document = parsed.Document!;
        var configuration = new ConfigurationBuilder()
            .Add(new ProxyYamlCandidateSource(document))
            .AddInMemoryCollection(overrides ?? new Dictionary<string, string?>())
            .Build();
        return (document, configuration);
    }

    public static string RepositoryFile(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SessionGateway.sln")))
            {
                return Path.Combine(dir.FullName, name);
            }
        }

        throw new InvalidOperationException("repository root not found");
    }
}
