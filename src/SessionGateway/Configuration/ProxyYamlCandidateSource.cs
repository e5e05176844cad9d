using Microsoft.Extensions.Configuration.Memory;

namespace SessionGateway.Configuration;

/// <summary>A reloaded proxy.yaml document not yet accepted, as a configuration source for validation.</summary>
internal sealed class ProxyYamlCandidateSource(YamlDocument candidate) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) =>
        new MemoryConfigurationProvider(new MemoryConfigurationSource { InitialData = candidate.Data });
}
