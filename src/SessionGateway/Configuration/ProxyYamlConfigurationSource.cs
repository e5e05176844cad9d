namespace SessionGateway.Configuration;

/// <summary>Makes a <see cref="ProxyYamlFile"/> an <see cref="IConfiguration"/> source.</summary>
internal sealed class ProxyYamlConfigurationSource(ProxyYamlFile file) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new ProxyYamlConfigurationProvider(file);
}
